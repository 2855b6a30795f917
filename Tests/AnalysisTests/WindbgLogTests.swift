import Analysis
import Testing

/// Reading saved WinDbg logs, and bucketing their stacks from the fault. The texts are laid out
/// the way WinDbg prints them (column layouts of `kv`, `kn`, x86 `kb`); the names in them are
/// made up, so these are regression guards — fidelity is PublishedAnalyzeTests' job.
@Suite("WinDbg logs")
struct WindbgLogTests {
  static let d1 = """
    DRIVER_IRQL_NOT_LESS_OR_EQUAL (d1)
    Arguments:
    Arg1: 0000000000000010, memory referenced
    Arg2: 0000000000000002, IRQL
    Arg3: 0000000000000000, value 0 = read operation, 1 = write operation
    Arg4: fffff80412345678, address which referenced memory

    TRAP_FRAME:  ffffd0001c2f70b0 -- (.trap 0xffffd0001c2f70b0)

    STACK_TEXT:
    ffffd000`1c2f6e78 fffff804`1a9d2169     : 00000000`0000000a 00000000`00000010 00000000`00000002 00000000`00000000 : nt!KeBugCheckEx
    ffffd000`1c2f6e80 fffff804`1a9ce469     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : nt!KiBugCheckDispatch+0x69
    ffffd000`1c2f6fc0 fffff804`12345678     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : nt!KiPageFault+0x469 (TrapFrame @ ffffd000`1c2f70b0)
    ffffd000`1c2f7150 fffff804`1a8d1111     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : mydrv!ReadRecord+0x18 [c:\\src\\mydrv\\record.c @ 42]
    ffffd000`1c2f7190 fffff804`1a8d2222     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : mydrv!DispatchIoctl+0x7a
    ffffd000`1c2f71d0 00000000`00000000     : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : nt!IofCallDriver+0x55

    SYMBOL_NAME:  mydrv!ReadRecord+18
    FAILURE_BUCKET_ID:  AV_mydrv!ReadRecord
    """

  @Test("!analyze -v text: bug check, arguments, trap annotation, WinDbg's own fields")
  func analyzeText() throws {
    let log = try WindbgLog(text: Self.d1)
    #expect(log.bugCheckCode == 0xD1)
    #expect(log.parameters == [0x10, 2, 0, 0xFFFF_F804_1234_5678])
    #expect(log.frames.count == 6)
    #expect(log.frames[2].trapFrame == 0xFFFF_D000_1C2F_70B0)
    #expect(log.frames[3].callSite == "mydrv!ReadRecord+0x18")
    #expect(log.frames[3].module == "mydrv" && log.frames[3].function == "ReadRecord")
    #expect(log.frames[3].offset == 0x18)
    #expect(log.contexts == [.init(kind: "trap", address: 0xFFFF_D000_1C2F_70B0)])
    #expect(log.printed["FAILURE_BUCKET_ID"] == "AV_mydrv!ReadRecord")
  }

  @Test("the frames above the trap frame that restored the faulting IP are never blamed")
  func fromTheTrap() throws {
    let log = try WindbgLog(text: Self.d1)
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: .defaults,
      context: Bucketer.context(of: log))
    #expect(bucket.failureBucketID == "AV_mydrv!ReadRecord")
    #expect(bucket.followupFrame == 3)
    // Without kernel symbols nothing names the plumbing, but the trap frame still does.
    var stripped = log
    for index in stripped.frames.indices where stripped.frames[index].module == "nt" {
      stripped.frames[index].function = nil
      stripped.frames[index].offset = 0x1000
    }
    let unnamed = Bucketer.bucket(
      Bucketer.crash(of: stripped), frames: Bucketer.frames(stripped), rules: .defaults)
    #expect(unnamed.failureBucketID == "AV_mydrv!ReadRecord")
    #expect(unnamed.skipped.first?.reason.contains("restored from a trap frame") == true)
  }

  @Test("a trap frame that restores a user-mode stack is the system call, not the fault")
  func syscallTrap() throws {
    let text = """
      BugCheck 3B, {c0000005, fffff8041a000010, ffffd0001c2f5000, 0}
      STACK_TEXT:
      ffffd000`1c2f7150 fffff804`1a8d1111 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : mydrv!Parse+0x10
      ffffd000`1c2f7190 fffff804`1a8d2222 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : nt!KiSystemServiceCopyEnd+0x25 (TrapFrame @ ffffd000`1c2f7200)
      000000cd`5319f9f8 00007ffb`00001000 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : ntdll!NtDeviceIoControlFile+0x14
      """
    let log = try WindbgLog(text: text)
    #expect(log.parameters == [0xC000_0005, 0xFFFF_F804_1A00_0010, 0xFFFF_D000_1C2F_5000, 0])
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: .defaults)
    #expect(bucket.failureBucketID == "AV_mydrv!Parse")
  }

  @Test("x86 kb listings (no colons) and kn listings with frame numbers")
  func otherLayouts() throws {
    let kb = """
      BUGCHECK_CODE:  8e
      BUGCHECK_P1: c0000005
      BUGCHECK_P2: 82ae06af
      BUGCHECK_P3: ad9d9568
      BUGCHECK_P4: 0
      STACK_TEXT:
      ChildEBP RetAddr  Args to Child
      ad9d95e4 ad8c156b 00000000 00000001 00000002 nt!RtlCopyUnicodeString+0xe
      ad9d99e8 ad8b7090 00000000 00000001 00000002 mydrv+0xaa56b
      ad9d9a14 8287e4ac 00000000 00000001 00000002 nt!IofCallDriver+0x63
      """
    let log = try WindbgLog(text: kb)
    #expect(
      log.frames.map(\.callSite) == [
        "nt!RtlCopyUnicodeString+0xe", "mydrv+0xaa56b", "nt!IofCallDriver+0x63",
      ])
    #expect(log.frames[1].module == "mydrv" && log.frames[1].function == nil)
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: .defaults)
    #expect(bucket.symbolName == "mydrv+aa56b")
    #expect(bucket.failureBucketID == "AV_mydrv!unknown_function")
    let kn = """
      BugCheck 139, {3, ffffd0001c2f7000, ffffd0001c2f6f58, 0}
       # Child-SP          RetAddr               Call Site
      00 ffffd000`1c2f6e78 fffff804`1a9d2169     nt!KeBugCheckEx
      01 ffffd000`1c2f6e80 fffff804`1a9ce469     nt!KiBugCheckDispatch+0x69
      02 ffffd000`1c2f6fc0 fffff804`1a9cd111     nt!KiFastFailDispatch+0xd0
      03 ffffd000`1c2f7000 fffff804`1a8d1111     nt!KiRaiseSecurityCheckFailure+0x32e (TrapFrame @ ffffd000`1c2f7000)
      04 ffffd000`1c2f7190 fffff804`1a8d2222     mydrv!RemoveEntry+0x44
      """
    let numbered = try WindbgLog(
      text: "BugCheck 8E, {c0000005, 0, 0, 0}\nSTACK_TEXT:\n"
        + "00 ad9d95e4 ad8c156b 00000000 00000001 00000002 mydrv!Copy+0x10\n")
    #expect(numbered.frames.first?.childSP == 0xAD9D_95E4)
    #expect(numbered.frames.first?.callSite == "mydrv!Copy+0x10")
    let fastFail = try WindbgLog(text: kn)
    #expect(fastFail.frames.count == 5)
    let tagged = Bucketer.bucket(
      Bucketer.crash(of: fastFail), frames: Bucketer.frames(fastFail), rules: .defaults)
    #expect(tagged.failureBucketID == "0x139_3_CORRUPT_LIST_ENTRY_mydrv!RemoveEntry")
  }

  @Test("a log without a bug check or without a stack is refused with what is missing")
  func refused() {
    #expect(throws: WindbgLogError.self) { try WindbgLog(text: "") }
    #expect(throws: WindbgLogError.self) { try WindbgLog(text: "hello\nworld\n\u{0}\u{1}") }
    do {
      _ = try WindbgLog(text: "BUGCHECK_CODE:  d1\nBUGCHECK_P1: 10\n")
      Issue.record("a log without a stack was accepted")
    } catch {
      #expect(error.description.contains("no stack"))
    }
    do {
      _ = try WindbgLog(
        text: "STACK_TEXT:\nffffd000`1c2f6e78 fffff804`1a9d2169 : nt!KeBugCheckEx\n")
      Issue.record("a log without a bug check was accepted")
    } catch {
      #expect(error.description.contains("no bug check"))
    }
  }

  @Test("hostile input: too many frames, huge lines, odd hex never trap")
  func hostile() {
    let line = "ffffd000`1c2f6e78 fffff804`1a9d2169 : 0 : mydrv!F+0x1\n"
    let many = "BugCheck D1, {0, 0, 0, 0}\nSTACK_TEXT:\n" + String(repeating: line, count: 5000)
    #expect(throws: WindbgLogError.self) { try WindbgLog(text: many) }
    let odd = """
      BugCheck ffffffffffffffffff, {zz, 0x, `, ffffffffffffffffffff}
      STACK_TEXT:
      ffffffffffffffffffff fffff804`1a9d2169 : 0 : mydrv!F+0xffffffffffffffffffff
      ffffd000`1c2f6e78 fffff804`1a9d2169 : 0 : \(String(repeating: "A", count: 100_000))!+0x
      """
    // Whatever it makes of this, it must not trap.
    _ = try? WindbgLog(text: odd)
  }
}
