/// What names one module's frames: its PDB (or `.sym`) by debug file and id, or, for a kernel
/// driver known only by image name, timestamp and size, the image whose CodeView record names the
/// PDB. Stored with a deferred dump as what it waits for, so a later run asks again for this one
/// lookup instead of re-walking the dump.
public enum SymbolLookup: Hashable, Sendable, Codable {
  case debug(file: String, id: String)
  case image(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32)

  /// `pdb:<file>/<ID>` or `image:<name>/<TIMESTAMP><SIZE>`: a stable text for the checkpoint.
  public var text: String {
    switch self {
    case .debug(let file, let id):
      "pdb:\(BreakpadSymbolWriter.baseName(file))/\(id.uppercased())"
    case .image(let name, let timeDateStamp, let sizeOfImage):
      "image:\(BreakpadSymbolWriter.baseName(name))/"
        + SymbolTree.imageIndex(timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
    }
  }

  /// Reads `text` back; `nil` for anything else (a row written by another version).
  public init?(text: String) {
    guard let colon = text.firstIndex(of: ":"), let slash = text.lastIndex(of: "/"),
      colon < slash
    else { return nil }
    let kind = text[..<colon]
    let name = String(text[text.index(after: colon)..<slash])
    let index = String(text[text.index(after: slash)...])
    guard !name.isEmpty, !index.isEmpty else { return nil }
    switch kind {
    case "pdb":
      self = .debug(file: name, id: index)
    case "image":
      // TIMESTAMP is 8 hex digits; SizeOfImage is printed without leading zeros.
      guard index.count > 8, let stamp = UInt32(index.prefix(8), radix: 16),
        let size = UInt32(index.dropFirst(8), radix: 16)
      else { return nil }
      self = .image(name: name, timeDateStamp: stamp, sizeOfImage: size)
    default:
      return nil
    }
  }
}
