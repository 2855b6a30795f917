import ByteReader
import PDB
import PEImage
import Symbols

/// One sample image as the forge uses it: its PE (unwind info, code), its PDB's symbols (function
/// addresses by name), and its bytes laid out as the loader maps them.
struct ForgeImage: Sendable {
  let name: String
  let path: String
  let pdbPath: String
  let base: UInt64
  let image: PEImage
  let symbols: SymbolTable
  let functions: [PERuntimeFunction]

  init(name: String, path: String, base: UInt64) throws(ForgeError) {
    self.name = name
    self.path = path
    self.base = base
    do {
      image = try PEImage(path: path)
      guard let pdbName = try image.codeView()?.pdbFileName else {
        throw ForgeError("\(path) has no CodeView record naming its PDB")
      }
      let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        .joined(separator: "/")
      pdbPath = (directory.isEmpty ? "" : directory + "/") + BreakpadSymbolWriter.baseName(pdbName)
      symbols = try PDBSymbolTable.read(try PDBFile(path: pdbPath))
      functions = try image.runtimeFunctions().sorted { $0.begin < $1.begin }
    } catch let error as ForgeError {
      throw error
    } catch {
      throw ForgeError("\(path): \(error)")
    }
  }

  /// The RVA of a function or public named `name`.
  func rva(of function: String) throws(ForgeError) -> UInt32 {
    if let found = symbols.functions.first(where: { $0.name == function }) { return found.rva }
    if let found = symbols.publics.first(where: { $0.name == function }) { return found.rva }
    throw ForgeError("\(name) has no function \(function)")
  }

  /// The `.pdata` entry starting at `rva`, if the function has one (leaf functions do not).
  func runtimeFunction(at rva: UInt32) -> PERuntimeFunction? {
    functions.first { $0.begin <= rva && rva < $0.end }
  }

  /// Where a function's code ends: its `.pdata` end, else its symbol size.
  func end(of rva: UInt32) -> UInt32 {
    if let function = runtimeFunction(at: rva) { return function.end }
    if let found = symbols.functions.first(where: { $0.rva == rva }) { return rva + found.size }
    return rva + 16
  }

  /// `count` code bytes at `rva`.
  func code(rva: UInt32, count: Int) throws(ForgeError) -> [UInt8] {
    do {
      return Array(
        try image.window(rva: rva, count: count, "code").bytes(at: 0, count: count, "code"))
    } catch {
      throw ForgeError("\(name)+0x\(String(rva, radix: 16)): \(error)")
    }
  }

  /// The image as mapped: headers, then each section at its RVA (uninitialised tails zero).
  func mapped() throws(ForgeError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: Int(image.sizeOfImage))
    do {
      let headers = Int(min(image.sizeOfHeaders, UInt32(image.reader.count)))
      out.replaceSubrange(
        0..<headers, with: try image.reader.bytes(at: 0, count: headers, "headers"))
      for section in image.sections {
        let length = Int(
          min(
            section.rawDataSize,
            section.virtualSize == 0 ? section.rawDataSize : section.virtualSize))
        guard length > 0, Int(section.virtualAddress) + length <= out.count else { continue }
        let bytes = try image.reader.bytes(
          at: Int(section.pointerToRawData), count: length, "section")
        out.replaceSubrange(
          Int(section.virtualAddress)..<(Int(section.virtualAddress) + length), with: bytes)
      }
    } catch {
      throw ForgeError("\(path): \(error)")
    }
    return out
  }
}
