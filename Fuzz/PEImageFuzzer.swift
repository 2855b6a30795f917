import ByteReader

// libFuzzer entry point for the PE reader, built by scripts/fuzz.sh with the PEImage sources (one
// module), ByteReader and CodeView. Every input is parsed as a file image and everything the
// unwinder and the symbol store read is asked for: debug directory, CodeView, exports, x64 and
// ARM64 runtime functions with their unwind info and chains.
@_cdecl("LLVMFuzzerTestOneInput")
public func peImageFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  guard let image = try? PEImage(reader: file.reader, layout: .file) else { return 0 }
  _ = image.cpuName
  _ = image.codeIdentifier
  _ = try? image.debugEntries()
  _ = try? image.codeView()
  _ = try? image.exports()
  if let functions = try? image.runtimeFunctions() {
    for function in functions.prefix(64) {
      _ = try? image.unwindInfo(rva: function.unwindInfo)
      _ = try? image.unwindChain(function)
    }
  }
  if let functions = try? image.arm64RuntimeFunctions() {
    for function in functions.prefix(64) {
      _ = try? image.arm64UnwindInfo(rva: function.unwindData)
    }
  }
  for index in 0..<16 { _ = image.directory(index) }
  return 0
}
