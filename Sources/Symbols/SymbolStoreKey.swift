/// One file a symbol store holds, under the key symsrv uses (reference/pdb-and-symbols.md §5):
/// `<folder>/<index>/<file>`. The folder is the PDB's or image's name; the index is the PDB's
/// debug id (GUID + age) or the image's `TIMESTAMP` + `SizeOfImage`; a Breakpad `.sym` sits in
/// its PDB's folder under the same debug id, named `<pdb stem>.sym` (Mozilla's and Sentry's
/// layout).
public struct SymbolStoreKey: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Sendable, Hashable {
    case pdb
    case image
    case breakpad
  }

  public let kind: Kind
  public let folder: String
  public let index: String
  public let file: String

  public init(kind: Kind, folder: String, index: String, file: String) {
    self.kind = kind
    self.folder = folder
    self.index = index
    self.file = file
  }

  /// A PDB by the name and debug id a module's CodeView record gives.
  public static func pdb(debugFile: String, debugID: String) -> SymbolStoreKey {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    return SymbolStoreKey(kind: .pdb, folder: file, index: debugID.uppercased(), file: file)
  }

  /// The Breakpad `.sym` made from that PDB.
  public static func breakpad(debugFile: String, debugID: String) -> SymbolStoreKey {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    return SymbolStoreKey(
      kind: .breakpad, folder: file, index: debugID.uppercased(), file: stem + ".sym")
  }

  /// An executable image by name, link timestamp and size.
  public static func image(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32)
    -> SymbolStoreKey
  {
    let file = BreakpadSymbolWriter.baseName(name)
    return SymbolStoreKey(
      kind: .image, folder: file,
      index: SymbolTree.imageIndex(timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage),
      file: file)
  }

  /// `folder/index/file`, as a store path and a URL path.
  public var relativePath: String { "\(folder)/\(index)/\(file)" }

  /// symsrv's compressed name: the file name with its last character replaced by `_`.
  public var compressedFile: String { String(file.dropLast()) + "_" }

  /// Whether every part is usable as one path component: names come from dumps, and a key that
  /// could climb out of a store or a server's base is never requested.
  public var isSafe: Bool {
    [folder, index, file].allSatisfy(SymbolTree.isPlainName)
      && ![folder, index, file].contains {
        $0.contains("\\") || $0.contains("?") || $0.contains("#")
      }
  }

  public var description: String { relativePath }
}
