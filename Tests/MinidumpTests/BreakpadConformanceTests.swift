import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Minidump

@Suite("Minidump conformance with breakpad", .requires(.corpus))
struct BreakpadConformanceTests {
  @Test("minidump2.dmp: every line of minidump2.dump.out equals ours")
  func minidump2() throws {
    let dump = try MinidumpCorpus.open("\(MinidumpCorpus.breakpad)/minidump2.dmp")
    let expectedText = try String(
      contentsOfFile: try MinidumpCorpus.path("\(MinidumpCorpus.breakpad)/minidump2.dump.out"),
      encoding: .utf8)
    var expected = expectedText.split(separator: "\n", omittingEmptySubsequences: false).map(
      BreakpadDumpText.normalize)
    while expected.last == "" { expected.removeLast() }
    var actual = try BreakpadDumpText.lines(dump)
    while actual.last == "" { actual.removeLast() }
    #expect(expected.count > 600)
    for (index, (want, got)) in zip(expected, actual).enumerated() where want != got {
      Issue.record("line \(index + 1): expected \(want.prefix(120)), got \(got.prefix(120))")
      break
    }
    #expect(actual.count == expected.count)
  }

  @Test("minidump2.dmp: crash reason EXCEPTION_ACCESS_VIOLATION_WRITE at 0x45")
  func crashReason() throws {
    let dump = try MinidumpCorpus.open("\(MinidumpCorpus.breakpad)/minidump2.dmp")
    let reason = try #require(try dump.crashReason())
    #expect(reason.reason == "EXCEPTION_ACCESS_VIOLATION_WRITE")
    #expect(reason.address == 0x45)
    let modules = try #require(try dump.modules())
    #expect(modules.count == 13)
    #expect(modules[0].codeIdentifier == "45D35F6C2d000")
    #expect(modules[0].codeView?.debugIdentifier == "5A9832E5287241C1838ED98914E9B7FF1")
    #expect(try dump.breakpadInfo()?.dumpThread == 0x11C0)
  }
}

extension BreakpadConformanceTests {
  @Test("minidump2.dmp: memory reads by address return the captured stack and code bytes")
  func memoryReads() throws {
    let dump = try MinidumpCorpus.open("\(MinidumpCorpus.breakpad)/minidump2.dmp")
    let memory = try dump.memory()
    #expect(memory.ranges.count == 3)
    let raw = [UInt8](dump.file.bytes)
    for thread in try #require(try dump.threads()) {
      let bytes = try memory.read(address: thread.stack.start, count: Int(thread.stack.size))
      #expect(
        bytes == Array(raw[Int(thread.stack.rva)..<Int(thread.stack.rva + thread.stack.size)]))
    }
    // The code around ntdll's KiFastSystemCallRet at 0x7c90eb94 is captured (region 0).
    let code = try memory.read(address: 0x7C90_EB14, count: 4)
    #expect(code == [0xFF, 0x83, 0xC4, 0xEC])
    #expect(throws: ParseError.self) { try memory.read(address: 0x7C90_EC10, count: 8) }
  }
}
