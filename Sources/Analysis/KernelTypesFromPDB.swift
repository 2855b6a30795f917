import ByteReader
import KernelDump
import PDB
import PEImage
import Symbols

/// The structure offsets of a dumped kernel from its own PDB, the first source `KernelTypeLayout`
/// uses: the kernel image (ntoskrnl.exe by timestamp and size) from the symbol path names its PDB
/// (CodeView record), and the PDB's type records give every field of `KernelTypeLayout.Field`
/// (`_EPROCESS.UniqueProcessId`, `_KTHREAD.ApcState.Process`, …) as WinDbg's `dt` would.
public enum KernelTypesFromPDB {
  static let kernelNames: Set<String> = [
    "ntoskrnl.exe", "ntkrnlmp.exe", "ntkrnlpa.exe", "ntkrpamp.exe",
  ]

  /// The dump's layout: the nt PDB's offsets where `symbols` finds the PDB, then the dump's
  /// KDDEBUGGER_DATA64 and the table of public builds; and why the PDB gave none, if it did not.
  public static func layout(of dump: KernelDump, symbols: SymbolTableCache?) -> (
    KernelTypeLayout, pdbProblem: String?
  ) {
    var base = KernelTypeLayout()
    var problem: String?
    switch offsets(of: dump, symbols: symbols) {
    case .success(let (found, origin)):
      for (field, offset) in found { base.set(field, offset, from: origin) }
    case .failure(let error):
      problem = error.description
    }
    let layout = KernelTypeLayout.of(
      machine: dump.header.machineImageType, build: dump.header.minorVersion,
      debuggerData: dump.debuggerData, base: base)
    return (layout, problem)
  }

  /// Every field the nt PDB places, with the PDB that answered.
  static func offsets(of dump: KernelDump, symbols: SymbolTableCache?) -> Result<
    ([(KernelTypeLayout.Field, Int)], String), ParseError
  > {
    guard let symbols else { return .failure(ParseError("nt PDB", "no symbol path given")) }
    guard let kernel = dump.modules.first(where: { kernelNames.contains($0.name.lowercased()) })
    else { return .failure(ParseError("nt PDB", "the dump's module list names no kernel image")) }
    let key = "nt-types/\(kernel.name.lowercased())/\(kernel.timeDateStamp)/\(kernel.size)"
    return symbols.shared(key) {
      Result { () throws(ParseError) -> ([(KernelTypeLayout.Field, Int)], String) in
        guard
          let image = symbols.image(
            name: kernel.name, timeDateStamp: kernel.timeDateStamp, sizeOfImage: kernel.size)
        else {
          throw ParseError("nt PDB", "\(kernel.name) is not in the symbol path")
        }
        guard let record = try image.codeView(), let file = record.pdbFileName,
          let id = record.debugIdentifier
        else { throw ParseError("nt PDB", "\(kernel.name) has no CodeView record naming its PDB") }
        let path: String
        switch symbols.path.locate(.pdb(debugFile: file, debugID: id), client: symbols.client) {
        case .local(let found), .fetched(let found): path = found
        case .missing(let why), .unavailable(let why): throw ParseError("nt PDB", why)
        }
        guard let structures = try PDBStructures(PDBFile(path: path)) else {
          throw ParseError("nt PDB", "\(file) has no type records")
        }
        var found: [(KernelTypeLayout.Field, Int)] = []
        for field in KernelTypeLayout.Field.allCases {
          let parts = field.rawValue.split(separator: ".", maxSplits: 1).map(String.init)
          guard parts.count == 2,
            let offset = structures.offset(of: parts[1], in: "_" + parts[0])
          else { continue }
          found.append((field, offset))
        }
        guard !found.isEmpty else {
          throw ParseError("nt PDB", "\(file) holds none of the process and thread structures")
        }
        return (found, "nt PDB: \(file) \(id)")
      }
    }
  }
}
