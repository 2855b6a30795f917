import CrashsiftTestSupport
import Foundation
import Testing

@testable import Minidump

/// The expectations quoted in corpus/minidump/PROVENANCE.md (breakpad and rust-minidump unit
/// tests), one test per dump.
@Suite(
  "Minidump expectations from breakpad and rust-minidump tests", .requires(.corpus))
struct ProvenanceExpectationTests {
  func open(_ relative: String) throws -> Minidump {
    try MinidumpCorpus.open(relative)
  }

  let bp = MinidumpCorpus.breakpad

  @Test("minidump_32bit_crash_addr: the address is masked to 32 bits on x86")
  func mask32() throws {
    let dump = try open("\(bp)/minidump_32bit_crash_addr.dmp")
    #expect(try dump.exception()?.parameters[1] == 0xFFFF_FFFF_0000_0045)
    let reason = try #require(try dump.crashReason())
    #expect(reason.reason == "EXCEPTION_ACCESS_VIOLATION_WRITE")
    #expect(reason.address == 0x45)
  }

  @Test("tiny-exe-fastfail: FAST_FAIL_FATAL_APP_EXIT, 4 threads, AMD64 contexts")
  func fastFail() throws {
    let dump = try open("\(bp)/tiny-exe-fastfail.dmp")
    #expect(try dump.crashReason()?.reason == "FAST_FAIL_FATAL_APP_EXIT")
    let threads = try #require(try dump.threads())
    #expect(threads.count == 4)
    #expect(threads.allSatisfy { if case .amd64 = $0.context { true } else { false } })
    let exception = try #require(try dump.exception())
    #expect(exception.code == 0xC000_0409)
    #expect(exception.flags == 1)
    let main = try #require(try dump.modules()?.first)
    #expect(main.name == #"D:\chromium\src\out\release\tiny.exe"#)
    #expect(main.codeView?.debugIdentifier == "6F81F755C50D71BE4C4C44205044422E1")
  }

  @Test("tiny-exe-with-cet-xsave: oversized AMD64 context, OS and CPU strings, not crashed")
  func xsaveAMD64() throws {
    let dump = try open("\(bp)/tiny-exe-with-cet-xsave.dmp")
    let info = try #require(try dump.systemInfo())
    #expect(info.osName == "Windows NT")
    #expect(info.osVersion == "10.0.22000 282")
    #expect(info.processorArchitecture.name == "amd64")
    #expect(info.cpuDescription == "family 6 model 140 stepping 1")
    #expect(try dump.exception() == nil)
    let threads = try #require(try dump.threads())
    #expect(threads.count == 1)
    #expect(threads[0].contextLocation.dataSize == 1407)
    guard case .amd64(let context) = threads[0].context else {
      Issue.record("context not read as AMD64: \(threads[0].contextError ?? "?")")
      return
    }
    #expect(context.contextFlags == 0x10_005F)
    #expect(try dump.unloadedModules()?.map(\.name) == ["shcore.dll"])
    #expect(try dump.memoryInfo()?.count == 557)
    #expect(try dump.handles()?.count == 147)
  }

  @Test("tiny-exe-with-cet-xsave-x86: oversized x86 context, OS and CPU strings")
  func xsaveX86() throws {
    let dump = try open("\(bp)/tiny-exe-with-cet-xsave-x86.dmp")
    let info = try #require(try dump.systemInfo())
    #expect(info.osVersion == "10.0.22631 ")
    #expect(info.processorArchitecture.name == "x86")
    #expect(info.cpuDescription == "GenuineIntel family 6 model 151 stepping 2")
    let threads = try #require(try dump.threads())
    #expect(threads.count == 3)
    #expect(threads.allSatisfy { if case .x86 = $0.context { true } else { false } })
    #expect(threads[0].contextLocation.dataSize == 1147)
  }

  @Test("thread_name_list: three thread names; a module without CodeView")
  func threadNames() throws {
    let dump = try open("\(bp)/thread_name_list.dmp")
    #expect(
      try dump.threadNames() == [
        6564: "main thread", 8820: "sleep thread", 10976: "overflow thread",
      ])
    let threads = try #require(try dump.threads())
    #expect(threads.count == 6)
    #expect(threads.first { $0.threadID == 10976 }?.name == "overflow thread")
    let allocer = try #require(try dump.modules()?.first { $0.baseName == "allocer32.exe" })
    #expect(allocer.codeView == nil)
    #expect(allocer.codeViewError == nil)
    let exception = try #require(try dump.exception())
    #expect(exception.threadID == 10976)
    #expect(try dump.crashReason()?.reason == "EXCEPTION_ACCESS_VIOLATION_READ")
    #expect(try dump.crashReason()?.address == 0xF1004)
  }

  @Test("write_av_non_canonical: the raw address without disassembly")
  func nonCanonical() throws {
    let dump = try open("\(bp)/write_av_non_canonical.dmp")
    let reason = try #require(try dump.crashReason())
    // breakpad recovers 0xfefefefefefefefe only by disassembling (Linux-only, objdump).
    #expect(reason.address == 0xFFFF_FFFF_FFFF_FFFF)
    #expect(reason.reason == "EXCEPTION_ACCESS_VIOLATION_READ")
  }

  @Test(
    "the Windows exploitability set: codes and parameters",
    arguments: [
      (
        "ascii_read_av", 0xC000_0005, [0, 0x4141_4141] as [UInt64],
        "EXCEPTION_ACCESS_VIOLATION_READ"
      ),
      ("ascii_write_av", 0xC000_0005, [1, 0x4141_4141], "EXCEPTION_ACCESS_VIOLATION_WRITE"),
      ("null_read_av", 0xC000_0005, [0, 0], "EXCEPTION_ACCESS_VIOLATION_READ"),
      ("null_write_av", 0xC000_0005, [1, 0], "EXCEPTION_ACCESS_VIOLATION_WRITE"),
      ("stack_exhaustion", 0xC000_00FD, [0, 0x10_2000], "EXCEPTION_STACK_OVERFLOW"),
      ("read_av_non_null", 0xC000_0005, [0, 0x4_E3C9], "EXCEPTION_ACCESS_VIOLATION_READ"),
    ] as [(String, UInt32, [UInt64], String)])
  func exploitability(name: String, code: UInt32, params: [UInt64], reason: String) throws {
    let dump = try open("\(bp)/\(name).dmp")
    let exception = try #require(try dump.exception())
    #expect(exception.code == code)
    #expect(exception.parameters == params)
    #expect(try dump.crashReason()?.reason == reason)
    #expect(try dump.modules()?.count == 26)
    #expect(try dump.threads()?.count == 2)
    #expect(try dump.systemInfo()?.numberOfProcessors == 16)
  }

  @Test("invalid-parameter: the AssertionInfo stream")
  func assertion() throws {
    let dump = try open("rust-minidump/testdata/invalid-parameter.dmp")
    let assertion = try #require(try dump.assertionInfo())
    #expect(assertion.expression == "format != nullptr")
    #expect(assertion.function == "common_vfprintf")
    #expect(assertion.file == #"minkernel\crts\ucrt\src\appcrt\stdio\output.cpp"#)
    #expect(assertion.line == 32)
    #expect(assertion.typeName == "InvalidParameter")
    #expect(try dump.exception()?.code == 0xC000_000D)
  }

  @Test("simple-crashpad: CrashpadInfo ids and annotations; the code-0 exception is kept")
  func simpleCrashpad() throws {
    let dump = try open("rust-minidump/testdata/simple-crashpad.dmp")
    let info = try #require(try dump.crashpadInfo())
    #expect(info.reportID.dashed.uppercased() == "42F9DE72-518A-43DD-97D7-8DDC328D3662")
    #expect(info.clientID.dashed.uppercased() == "6FD2B3B9-9833-4B2F-BBF7-0BCF501BAD7E")
    #expect(info.simpleAnnotations == ["hello": "world"])
    #expect(info.modules.count == 2)
    #expect(info.modules.first?.moduleIndex == 16)
    #expect(info.modules.first?.listAnnotations == ["abort() called"])
    let exception = try #require(try dump.exception())
    #expect(exception.code == 0)
    #expect(exception.address == 0x7FFF_6F41_333A)
  }

  @Test("minidump_crashpad_annotation: five annotation objects with types and values")
  func crashpadAnnotations() throws {
    let dump = try open("\(bp)/minidump_crashpad_annotation.dmp")
    let info = try #require(try dump.crashpadInfo())
    // Two module entries carry annotation-object lists (breakpad's unit test); the first has 5.
    #expect(info.modules.count == 2)
    let first = try #require(info.modules.first)
    #expect(
      first.annotationObjects.map(\.name)
        == [
          "exceptionReason", "exceptionName", "firstexception_bt", "firstexception",
          "CounterAnnotation",
        ])
    #expect(first.annotationObjects.allSatisfy { $0.type > 0 && !$0.value.isEmpty })
  }
}
