import ByteReader
import Foundation
import PDB
import PEImage
import Symbols

/// Checks that a downloaded file is the one its store key names, before it enters the cache: a
/// PDB by GUID and age, an image by link timestamp and size, a `.sym` by its MODULE line's id.
enum StoredFileIdentity {
  /// `nil` when `path` is the file `key` asks for, else what it is instead.
  static func mismatch(_ path: String, key: SymbolStoreKey) -> String? {
    switch key.kind {
    case .pdb:
      do {
        let identity = try PDBFile(path: path).debugIdentifier
        return identity.uppercased() == key.index.uppercased()
          ? nil : "is PDB \(identity), not \(key.index)"
      } catch {
        return "is not a readable PDB (\(error.description))"
      }
    case .image:
      do {
        let image = try PEImage(path: path)
        let index = SymbolTree.imageIndex(
          timeDateStamp: image.timeDateStamp, sizeOfImage: image.sizeOfImage)
        return index.uppercased() == key.index.uppercased()
          ? nil : "is image \(index), not \(key.index)"
      } catch {
        return "is not a readable PE image (\(error.description))"
      }
    case .breakpad:
      guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be read back" }
      defer { try? handle.close() }
      let head = (try? handle.read(upToCount: 4096)) ?? Data()
      let line = String(decoding: head.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
      let fields = line.split(separator: " ")
      guard fields.count >= 5, fields[0] == "MODULE" else {
        return "is not a Breakpad .sym (no MODULE line)"
      }
      return fields[3].uppercased() == key.index.uppercased()
        ? nil : "is .sym \(fields[3]), not \(key.index)"
    }
  }
}
