// libFuzzer entry point for MSVC name undecoration, built by scripts/fuzz.sh with the
// undecorator's own files (Sources/Symbols/MSVCDemangler*.swift, MSVCSyntax*.swift) alone.
// Every input is undecorated as a name.
@_cdecl("LLVMFuzzerTestOneInput")
public func demanglerFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  _ = MSVCDemangler.demangle(text)
  _ = MSVCDemangler.demangle("?" + text)
  return 0
}
