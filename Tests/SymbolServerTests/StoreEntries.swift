import Foundation
import Symbols

/// The keys a folder laid out as a symbol store holds: PDBs and `.sym` files by debug id,
/// images by timestamp and size, each once (a compressed `.pd_` beside its `.pdb` is the same
/// key).
enum StoreEntries {
  struct Entry: Hashable, CustomStringConvertible {
    enum Kind: Hashable { case symbols, image }
    var kind: Kind
    var folder: String
    var index: String

    var description: String { "\(folder)/\(index)" }
  }

  static func entries(in root: String) -> [Entry] {
    let manager = FileManager.default
    var found: Set<Entry> = []
    for folder in (try? manager.contentsOfDirectory(atPath: root)) ?? [] {
      let lower = folder.lowercased()
      for index in (try? manager.contentsOfDirectory(atPath: "\(root)/\(folder)")) ?? [] {
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: "\(root)/\(folder)/\(index)", isDirectory: &isDirectory),
          isDirectory.boolValue
        else { continue }
        if lower.hasSuffix(".pdb") {
          found.insert(Entry(kind: .symbols, folder: folder, index: index))
        } else if [".exe", ".dll", ".sys"].contains(where: lower.hasSuffix) {
          found.insert(Entry(kind: .image, folder: folder, index: index))
        }
      }
    }
    return found.sorted { $0.description < $1.description }
  }

  /// An image key's timestamp and size from its index (`TIMESTAMP` 8 hex digits, then size).
  static func image(_ index: String) -> (UInt32, UInt32)? {
    guard index.count > 8, let stamp = UInt32(index.prefix(8), radix: 16),
      let size = UInt32(index.dropFirst(8), radix: 16)
    else { return nil }
    return (stamp, size)
  }
}
