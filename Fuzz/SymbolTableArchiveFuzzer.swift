import ByteReader

// libFuzzer entry point for symbol-table archives (files in the user's symbol cache that another
// process, a full disk or a bad sector may have damaged), built by scripts/fuzz.sh with the
// Symbols sources it needs. Every input is opened as the symbolize stage opens it (lookups read the
// archive's bytes where they lie) and decoded into arrays; both are looked up at the decoded
// table's function starts, just past them and at its publics.
@_cdecl("LLVMFuzzerTestOneInput")
public func archiveFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  let opened = try? SymbolTableArchive.open(file.reader)
  guard let table = try? SymbolTableArchive.decode(file.reader) else { return 0 }
  for function in table.functions.prefix(64) {
    for rva in [function.rva, function.rva &+ 1] {
      _ = table.lookup(rva)
      _ = opened?.lookup(rva)
    }
  }
  for symbol in table.publics.prefix(16) {
    _ = table.lookup(symbol.rva)
    _ = opened?.lookup(symbol.rva)
  }
  return 0
}
