import ByteReader

// libFuzzer entry point for the minidump reader, built by scripts/fuzz.sh together with the
// Minidump sources (one module) and the ByteReader library. Every input is opened and every stream
// read through MinidumpReport; any trap, overflow or out-of-bounds access is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func minidumpFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  guard let dump = try? Minidump(file: file) else { return 0 }
  let report = MinidumpReport(dump, name: "fuzz")
  _ = report.text
  if let memory = try? dump.memory() {
    for range in memory.ranges.prefix(4) { _ = try? memory.read(address: range.start, count: 64) }
  }
  return 0
}
