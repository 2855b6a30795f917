import ByteReader

// libFuzzer entry point for the PDB reader, built by scripts/fuzz.sh with the PDB sources. Every
// input is opened as an MSF file; publics, module lists, procedures and their type names, line
// tables, inline sites, inlinee names and structure layouts are walked.
@_cdecl("LLVMFuzzerTestOneInput")
public func pdbFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  guard let msf = try? MSFFile(file: file), let pdb = try? PDBFile(msf: msf) else { return 0 }
  _ = try? pdb.publicSymbols()
  let names = try? pdb.namesTable()
  let inlinees = (try? pdb.inlineeNames()) ?? [:]
  let types = try? PDBTypePrinter(pdb)
  var inlined = Set<UInt32>()
  for module in (try? pdb.modules()) ?? [] {
    guard let stream = try? pdb.moduleStream(module, names: names) else { continue }
    try? pdb.inlineeIDs(in: stream, into: &inlined)
    for procedure in (try? pdb.procedures(in: stream)) ?? [] {
      _ = types?.function(procedure.typeIndex)
    }
    _ = try? pdb.lineBlocks(in: stream)
    _ = try? pdb.inlineSites(in: stream, inlinees: inlinees)
  }
  // Only the inlined inlinees named, as the symbol table derivation asks.
  _ = try? pdb.inlineeNames(inlined.sorted())
  // The kernel's structures, as `analyze --processes` reads them from an nt PDB.
  if let structures = try? PDBStructures(pdb) {
    _ = structures.offset(of: "ApcState.Process", in: "_KTHREAD")
    _ = structures.structure("_EPROCESS")?.members.count
  }
  return 0
}
