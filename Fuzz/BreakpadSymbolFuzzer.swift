import ByteReader

// libFuzzer entry point for the Breakpad .sym reader, built by scripts/fuzz.sh with the reader and
// the table it fills. Every input is parsed; a parsed table is looked up at a few addresses.
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
  return 0
}
