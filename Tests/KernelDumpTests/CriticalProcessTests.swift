import Analysis
import ByteReader
import DumpSynth
import Testing

@testable import KernelDump

/// 0xEF CRITICAL_PROCESS_DIED names the process that died, as WinDbg's published form does:
/// `0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS_66897700_ntdll!NtTerminateProcess` (2019 blog,
/// ANALYSIS_VERSION 10.0.14321.1024; docs/bucketing.md): the process from Arg1's EPROCESS, the
/// number from the nt!NtTerminateProcess frame's second Args-to-Child slot.
@Suite("0xEF: the critical process that died")
struct CriticalProcessTests {
  static let csrss = SyntheticProcess.examples()[2]
  static let smss = SyntheticProcess.examples()[1]
  static let childSP: UInt64 = 0xFFFF_8504_2989_0A90

  /// A 0xEF dump whose Arg1 is csrss.exe's EPROCESS, with `slot` at the NtTerminateProcess
  /// frame's Child-SP + 0x10.
  static func dump(
    _ layout: KernelDumpWriter.Layout, parameters: [UInt64]? = nil,
    slot: UInt64 = 0xFFFF_D18C_6689_7700
  ) throws -> KernelDump {
    let bytes = ProcessScenario.bytes(
      layout, bugCheck: (0xEF, parameters ?? [csrss.address, 0, 0, 0]),
      memory: [(childSP + 0x10, (0..<8).map { UInt8(truncatingIfNeeded: slot >> (8 * $0)) })])
    return try KernelDump(file: MappedFile(copying: bytes, label: "0xEF"))
  }

  /// The published stack's kernel part, as the walker would name it with nt's symbols.
  static let frames: [Bucketer.Frame] =
    [
      ("KeBugCheckEx", 0xFFFF_8504_2989_0938 as UInt64),
      ("PspCatchCriticalBreak", 0xFFFF_8504_2989_0940),
      ("PspTerminateAllThreads", 0xFFFF_8504_2989_09E0),
      ("PspTerminateProcess", 0xFFFF_8504_2989_0A50),
      ("NtTerminateProcess", childSP),
      ("KiSystemServiceCopyEnd", 0xFFFF_8504_2989_0B00),
    ].map {
      Bucketer.Frame(
        image: "ntoskrnl.exe", moduleOffset: nil, function: $0.0, functionOffset: 0x10,
        trust: "cfi", stackPointer: $0.1)
    } + [
      Bucketer.Frame(
        image: "ntdll.dll", moduleOffset: nil, function: "NtTerminateProcess", functionOffset: 0x14,
        trust: "cfi", stackPointer: 0x0000_0023_5136_F6C8)
    ]

  @Test(
    "full and bitmap dumps: csrss.exe from Arg1's EPROCESS, the status from the stack slot",
    arguments: ["full", "bitmap5"])
  func named(kind: String) throws {
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == kind }?.1)
    let dump = try Self.dump(layout)
    let facts = Bucketer.facts(of: dump, frames: Self.frames)
    #expect(facts == ["critical_process": "csrss.exe", "exit_status": "66897700"])
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: dump), frames: Self.frames, rules: .defaults, facts: facts)
    // The published bucket and hash, from the same inputs.
    #expect(
      bucket.failureBucketID
        == "0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS_66897700_ntdll!NtTerminateProcess")
    #expect(bucket.failureIDHash == "{1c1f0cbd-836a-f251-4b76-76293e344c02}")
    #expect(bucket.symbolName == "ntdll!NtTerminateProcess+14")
  }

  @Test("Arg2 = 1: Arg1 is a thread; its process is named")
  func thread() throws {
    let thread = try #require(Self.csrss.threads.first)
    let dump = try Self.dump(.full, parameters: [thread.address, 1, 0, 0])
    #expect(Bucketer.facts(of: dump, frames: [])["critical_process"] == "csrss.exe")
  }

  @Test("Arg3, another process, ended it: TERMINATED_BY its name and id")
  func terminated() throws {
    let dump = try Self.dump(.full, parameters: [Self.csrss.address, 0, Self.smss.address, 0])
    let facts = Bucketer.facts(of: dump, frames: [])
    #expect(facts["terminator"] == "smss.exe")
    #expect(facts["terminator_pid"] == String(Self.smss.processID, radix: 16))
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: dump), frames: Self.frames, rules: .defaults, facts: facts)
    #expect(
      bucket.prefix
        == "0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS_TERMINATED_BY_smss.exe_\(String(Self.smss.processID, radix: 16))"
    )
  }

  @Test("what cannot be read drops the part it names: no status, then no process")
  func partial() throws {
    // No NtTerminateProcess frame: the process alone.
    let dump = try Self.dump(.full)
    let facts = Bucketer.facts(of: dump, frames: Array(Self.frames.prefix(3)))
    #expect(facts == ["critical_process": "csrss.exe"])
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: dump), frames: Self.frames, rules: .defaults, facts: facts)
    #expect(bucket.prefix == "0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS")
    // Arg1 unmapped: plain 0xEF.
    let unmapped = try Self.dump(.full, parameters: [0xFFFF_C08B_DFFF_0080, 0, 0, 0])
    #expect(Bucketer.facts(of: unmapped, frames: [])["critical_process"] == nil)
    let plain = Bucketer.bucket(
      Bucketer.crash(of: unmapped), frames: Self.frames, rules: .defaults,
      facts: Bucketer.facts(of: unmapped, frames: []))
    #expect(plain.prefix == "0xEF")
  }

  @Test("a hostile image name cannot inject into the bucket id")
  func hostileName() throws {
    var processes = SyntheticProcess.examples()
    processes[2].name = "a b/<x>!y"
    let bytes = ProcessScenario.bytes(
      .full, processes: processes, bugCheck: (0xEF, [processes[2].address, 0, 0, 0]))
    let dump = try KernelDump(file: MappedFile(copying: bytes, label: "0xEF"))
    #expect(Bucketer.facts(of: dump, frames: [])["critical_process"] == "a_b__x__y")
  }

  @Test("the published log reproduces WinDbg's bucket and FAILURE_ID_HASH from its own fields")
  func publishedLog() throws {
    // Fields transcribed from the 2019 blog's `!analyze -v` (docs/bucketing.md, 0xEF): the
    // CRITICAL_PROCESS and EXCEPTION_CODE lines and the kernel frames' call sites.
    let text = """
      CRITICAL_PROCESS_DIED (ef)
      BUGCHECK_P1: ffffd18c66891580
      BUGCHECK_P2: 0
      PROCESS_NAME:  csrss.exe
      CRITICAL_PROCESS:  csrss.exe
      EXCEPTION_CODE: (Win32) 0x66897700 (1720284928) - <Unable to get error code text>
      STACK_TEXT:
      ffffbc88`eeb10938 fffff800`a7187101 : 00000000`000000ef ffffd18c`66891580 00000000`00000000 00000000`00000000 : nt!KeBugCheckEx
      ffffbc88`eeb10940 fffff800`a70c818d : 00000000`00000000 fffff800`a6a13ae5 ffffd18c`66891580 00000000`c0000034 : nt!PspCatchCriticalBreak+0xfd
      ffffbc88`eeb109e0 fffff800`a6fb6488 : ffffd18c`00000000 00000000`00000000 ffffd18c`66891580 ffffd18c`66891858 : nt!PspTerminateAllThreads+0x112471
      ffffbc88`eeb10a50 fffff800`a6fb7fd1 : ffffffff`ffffffff ffffbc88`eeb10b80 ffffd18c`66891580 ffffbc88`eeb10a01 : nt!PspTerminateProcess+0xe0
      ffffbc88`eeb10a90 fffff800`a6bc2b43 : ffffd18c`00000248 ffffd18c`66897700 ffffd18c`66891580 0000014e`4a4055f5 : nt!NtTerminateProcess+0xa9
      ffffbc88`eeb10b00 00007ff9`cbf2a474 : 00007ff6`eb571704 0000014e`4a4053f0 0000014e`4a4055f5 00000000`00000078 : nt!KiSystemServiceCopyEnd+0x13
      00000023`5136f6c8 00007ff6`eb571704 : 0000014e`4a4053f0 0000014e`4a4055f5 00000000`00000078 00000000`00000205 : ntdll!NtTerminateProcess+0x14
      00000023`5136f6d0 00007ff6`eb571301 : 0000014e`4a4055f5 00000000`0000000b 00000000`00000001 00000000`0000000d : csrss!main+0x3d4
      """
    let log = try WindbgLog(text: text)
    #expect(log.frames[4].arguments.count == 4)
    #expect(log.frames[4].arguments[1] == 0xFFFF_D18C_6689_7700)
    let expected = "0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS_66897700_ntdll!NtTerminateProcess"
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: .defaults,
      facts: Bucketer.facts(log))
    #expect(bucket.failureBucketID == expected)
    #expect(bucket.failureIDHash == "{1c1f0cbd-836a-f251-4b76-76293e344c02}")
    // Without EXCEPTION_CODE, the NtTerminateProcess line's second argument gives the same.
    let bare = try WindbgLog(
      text: text.split(separator: "\n").filter { !$0.hasPrefix("EXCEPTION_CODE") }.joined(
        separator: "\n"))
    #expect(Bucketer.facts(bare)["exit_status"] == "66897700")
  }
}
