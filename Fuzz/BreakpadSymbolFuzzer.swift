import ByteReader

// libFuzzer entry point for the Breakpad .sym reader, built by scripts/fuzz.sh with the reader, the
// table it fills and the table archive. Every input is parsed; a parsed table is looked up at a
// few addresses, then archived and read back, as the symbolize stage's derived-table store does
// (a line's file id past 32 bits once trapped in the archive writer, not in the reader).
@_cdecl("LLVMFuzzerTestOneInput")
public func breakpadSymbolFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  guard let table = try? BreakpadSymbolReader.read(bytes: bytes, name: "fuzz.sym") else { return 0 }
  for function in table.functions.prefix(8) {
    _ = table.lookup(function.rva)
    _ = table.lookup(function.rva &+ function.size &- 1)
  }
  _ = table.lookup(0)
  _ = table.lookup(.max)
  let archived = MappedFile(copying: SymbolTableArchive.encode(table))
  guard (try? SymbolTableArchive.decode(archived.reader)) == table else {
    fatalError("a table archived and read back differs")
  }
  return 0
}
