import Foundation

// libFuzzer entry point for archive walking, built by scripts/fuzz.sh with the Ingest sources
// (one module), libarchive, and stand-ins for the parts of Checkpoint and swift-crypto that the
// walker names (Fuzz/Support). Each input is written to a file and walked like an uploaded archive
// (zip, tar.*, 7z, cab, nested archives, dumps by signature) into a scratch store that is emptied
// after every input. The caps are the shipped defaults, so a finding is an input that gets past
// them: a crash, a hang, or memory beyond libFuzzer's RSS limit.
private let scratch: String = {
  let path = NSTemporaryDirectory() + "crashsift-fuzz-archive-\(getpid())"
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func archiveWalkerFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let input = "\(scratch)/input"
  guard
    FileManager.default.createFile(
      atPath: input, contents: Data(bytes: data, count: size))
  else { return 0 }
  let storeRoot = "\(scratch)/store"
  defer { try? FileManager.default.removeItem(atPath: storeRoot) }
  guard let store = try? DumpStore(root: storeRoot, temporaryDirectory: "\(scratch)/tmp") else {
    return 0
  }
  let walker = ArchiveWalker(store: store, limits: IngestLimits(), onEvent: { _ in })
  _ = try? walker.walk(path: input)
  return 0
}
