import ByteReader

// libFuzzer entry point for symbol-table archives (files in the user's symbol cache that another
// process, a full disk or a bad sector may have damaged), built by scripts/fuzz.sh with the
// Symbols sources it needs. Every input is decoded; a decoded table is looked up at its function
// starts and just past them.
@_cdecl("LLVMFuzzerTestOneInput")
public func archiveFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  guard let table = try? SymbolTableArchive.decode(file.reader) else { return 0 }
  for function in table.functions.prefix(64) {
    _ = table.lookup(function.rva)
    _ = table.lookup(function.rva &+ 1)
  }
  for symbol in table.publics.prefix(16) { _ = table.lookup(symbol.rva) }
  return 0
}
