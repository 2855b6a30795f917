import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import KernelDump
import Symbols
import Testing
import Unwind

/// The real x64 triage dump (0x1000007E in amdppm.sys), walked from its saved stack.
@Suite("triage_x64 stack")
struct TriageStackTests {
  /// A store holding amdppm.pdb (from the corpus) and a stub amdppm.sys that carries only its store
  /// key and RSDS record: the real image is not in the corpus.
  static func symbols(_ dir: TemporaryDirectory, root: String) throws -> SymbolTableCache {
    let id = "1C19FDDB27BB3399D9B45973EFEAFCF31"
    let (guid, age) = try #require(StubPEImage.guidAndAge(debugID: id))
    let image = StubPEImage.bytes(
      timeDateStamp: 0xC9C0_3000, sizeOfImage: 0x3B000, pdbName: "amdppm.pdb", guid: guid, age: age)
    let folder = dir.file("store/amdppm.sys/C9C030003b000")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Data(image).write(to: URL(fileURLWithPath: "\(folder)/amdppm.sys"))
    return SymbolTableCache(
      path: SymbolPath(parsing: "srv*\(dir.file("store"));srv*\(root)/kernel/symbols"))
  }

  @Test(
    "frame 0 is amdppm!WriteIoMemRawEx+0x70 and its caller amdppm!WriteGenAddrEx+0x6b",
    .requires(.corpus))
  func amdppm() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    let cache = try Self.symbols(dir, root: root)
    let dump = try KernelDump(file: MappedFile(path: "\(root)/kernel/triage_x64.dmp"))
    let stack = try #require(ThreadStack.crashingThread(of: dump, symbols: cache))
    let texts = stack.frames.map { $0.location.text(windbgModuleName: true) }
    #expect(texts.first == "amdppm!WriteIoMemRawEx+0x70")
    #expect(stack.frames.first?.trust == .context)
    // The driver's code page is in the dump: its prologues give the next three frames exactly.
    #expect(
      Array(texts.prefix(4)) == [
        "amdppm!WriteIoMemRawEx+0x70", "amdppm!WriteGenAddrEx+0x6b",
        "amdppm!WriteGenAddrMaybeHiddenEx+0x18", "amdppm!InitAcpiCpc+0x317",
      ], "\(stack.text(x64: true))")
    #expect(stack.frames.dropFirst().prefix(3).allSatisfy { $0.trust == .prologue })
    // rizin (with the real images) lists these amdppm frames; ours, partly scanned, contain them
    // in order.
    let expected = try JSONSerialization.jsonObject(
      with: Data(contentsOf: URL(fileURLWithPath: "\(root)/kernel/triage_x64.expected.json")))
    let rizin =
      ((expected as? [String: Any])?["rizin_expected_backtrace_symbols"] as? [String]) ?? []
    let amdppm = rizin.filter { $0.hasPrefix("amdppm!") }.map { name -> String in
      let parts = name.split(separator: "+")
      return "\(parts[0])+0x" + String(Int(parts[1]) ?? 0, radix: 16)
    }
    #expect(amdppm.count == 6)
    var remaining = amdppm[...]
    for text in texts where text == remaining.first { remaining = remaining.dropFirst() }
    #expect(remaining.isEmpty, "not found in order: \(remaining)\n\(stack.text(x64: true))")
    #expect(stack.frames.count < 64)
  }
}
