import ByteReader
import Foundation
import PDB
import PEImage

/// Lays symbol files out as a Microsoft symbol store (what `symstore add` does), so build outputs
/// can be served by `SymbolTree`: PDBs under `<pdb>/<GUID><DBI age>/<pdb>`, images under
/// `<image>/<TIMESTAMP><SizeOfImage>/<image>`, Breakpad .sym files under `<pdb>/<ID>/<name>.sym`.
/// Files are recognised by content, not extension.
public struct SymbolStoreIndexer: Sendable {
  /// What happened to one input file.
  public enum Outcome: Sendable, Equatable {
    /// Copied to this path, relative to the store.
    case added(String)
    /// The store already holds a file under this key (same build); left as it was.
    case present(String)
    /// Not a PDB, PE image or .sym file.
    case skipped
    case failed(String)
  }

  public let store: String

  public init(store: String) { self.store = store }

  /// Indexes `path` (a file).
  public func index(file path: String) -> Outcome {
    guard let key = Self.key(for: path) else { return .skipped }
    switch key {
    case .failure(let error): return .failed(error.description)
    case .success(let relative):
      let destination = "\(store)/\(relative)"
      if FileManager.default.fileExists(atPath: destination) { return .present(relative) }
      let folder = (destination as NSString).deletingLastPathComponent
      let partial = destination + ".partial-\(getpid())"
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: partial)
        try FileManager.default.copyItem(atPath: path, toPath: partial)
        // Rename last: a store never shows a half-copied file under a key lookups trust.
        guard rename(partial, destination) == 0 else {
          try? FileManager.default.removeItem(atPath: partial)
          return .failed("\(destination): cannot move the copy into place")
        }
        return .added(relative)
      } catch {
        try? FileManager.default.removeItem(atPath: partial)
        return .failed("\(destination): \(error.localizedDescription)")
      }
    }
  }

  /// The store path of a symbol file, `nil` when it is none of the three kinds.
  static func key(for path: String) -> Result<String, ParseError>? {
    guard let file = try? MappedFile(path: path) else { return nil }
    let name = (path as NSString).lastPathComponent
    let bytes = file.bytes
    if bytes.starts(with: Array("Microsoft C/C++ MSF 7.00".utf8)) {
      return Result { () throws(ParseError) in
        let pdb = try PDBFile(msf: MSFFile(file: file))
        return "\(name)/\(pdb.debugIdentifier)/\(name)"
      }
    }
    if bytes.starts(with: Array("MZ".utf8)) {
      return Result { () throws(ParseError) in
        let image = try PEImage(reader: file.reader, layout: .file)
        let index = SymbolTree.imageIndex(
          timeDateStamp: image.timeDateStamp, sizeOfImage: image.sizeOfImage)
        return "\(name)/\(index)/\(name)"
      }
    }
    if bytes.starts(with: Array("MODULE ".utf8)) {
      return Result { () throws(ParseError) in
        // Only the MODULE line is needed: the first line of the file.
        let end = bytes.firstIndex { $0 == 0x0A || $0 == 0x0D } ?? bytes.count
        let fields = String(decoding: bytes[0..<end], as: UTF8.self).split(
          separator: " ", maxSplits: 4)
        guard fields.count == 5 else {
          throw ParseError(path, "the MODULE line needs os cpu id name")
        }
        let debugFile = BreakpadSymbolWriter.baseName(String(fields[4]))
        let stem =
          debugFile.lowercased().hasSuffix(".pdb") ? String(debugFile.dropLast(4)) : debugFile
        // The key becomes a path: only plain names and a hexadecimal id may build it.
        let id = String(fields[3])
        guard SymbolTree.isPlainName(debugFile), SymbolTree.isPlainName("\(stem).sym"),
          !id.isEmpty, id.allSatisfy(\.isHexDigit)
        else { throw ParseError(path, "MODULE line names \(debugFile) \(id), not a store key") }
        return "\(debugFile)/\(id)/\(stem).sym"
      }
    }
    return nil
  }
}
