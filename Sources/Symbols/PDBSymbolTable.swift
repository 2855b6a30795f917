import ByteReader
import PDB

/// Builds a `SymbolTable` from a PDB. For now its public symbols (S_PUB32, with OMAP applied):
/// enough for `module!Public+0xoffset` names, as WinDbg prints with stripped PDBs. Functions with
/// sizes and line tables come from module streams, which are not read yet.
public enum PDBSymbolTable {
  public static func read(_ pdb: PDBFile) throws(ParseError) -> SymbolTable {
    var publics: [SymbolTable.Public] = []
    for symbol in try pdb.publicSymbols() {
      guard let rva = pdb.rva(segment: symbol.segment, offset: symbol.offset) else { continue }
      publics.append(SymbolTable.Public(rva: rva, parameterSize: 0, name: symbol.name))
    }
    // Stable order: by address, then name (aliases at one address stay deterministic).
    publics.sort { ($0.rva, $0.name) < ($1.rva, $1.name) }
    var table = SymbolTable(
      source: .pdb, functions: [], lines: [], files: [], publics: publics, stackRecords: [])
    table.os = "windows"
    table.debugID = pdb.debugIdentifier
    return table
  }
}
