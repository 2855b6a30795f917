import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

@Suite("crashsift analyze")
struct AnalyzeCommandTests {
  @Test("a minidump's text and JSON reports match their golden files", .requires(.corpus))
  func minidump() throws {
    let root = try Requirement.corpus.resolve()
    let path = "\(root)/minidump/breakpad/src/processor/testdata/minidump2.dmp"
    let text = try CrashsiftBinary.run(["analyze", path])
    #expect(text.status == 0, "\(text.stderr)")
    Golden.check(
      Golden.normalize(text.stdout, workspace: "/nonexistent"), against: "analyze-minidump2.txt")
    let json = try CrashsiftBinary.run([
      "analyze", "--json", path, "\(root)/minidump/rust-minidump/testdata/invalid-parameter.dmp",
    ])
    #expect(json.status == 0)
    Golden.check(
      Golden.normalize(json.stdout, workspace: "/nonexistent"), against: "analyze-two.json")
    let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    #expect(decoded?.count == 2)
  }

  @Test(
    "--symbols names the faulting function and line from a Breakpad symbol folder",
    .requires(.corpus))
  func symbolized() throws {
    let root = try Requirement.corpus.resolve()
    let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
    let result = try CrashsiftBinary.run([
      "analyze", "--symbols", "\(testdata)/symbols", "\(testdata)/minidump2.dmp",
    ])
    #expect(result.status == 0)
    #expect(
      result.stdout.contains(
        #"Location:      test_app.exe!`anonymous namespace'::CrashFunction+0xe [c:\test_app.cc : 58]"#
      ))
    // The kv-like stack: breakpad's four frames, walked by STACK WIN frame data.
    Golden.check(
      Golden.normalize(
        String(
          result.stdout[
            (result.stdout.range(of: "STACK_TEXT")?.lowerBound ?? result.stdout.endIndex)...]),
        workspace: "/nonexistent"), against: "analyze-minidump2-stack.txt")
    let missing = try CrashsiftBinary.run([
      "analyze", "--symbols", root, "\(testdata)/minidump2.dmp",
    ])
    #expect(
      missing.stdout.contains("Location:      test_app.exe+0x429e (symbols: no test_app.pdb/"))
  }

  @Test(
    "kernel triage dumps: banner, bug check, faulting module and lm, text and JSON",
    .requires(.corpus))
  func kernel() throws {
    let root = try Requirement.corpus.resolve()
    let x64 = "\(root)/kernel/triage_x64.dmp"
    let text = try CrashsiftBinary.run(["analyze", x64, "\(root)/kernel/triage_arm64.dmp"])
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("FAULTING_IP: amdppm.sys+0x334c"))
    Golden.check(
      Golden.normalize(text.stdout, workspace: "/nonexistent"), against: "analyze-triage.txt")
    let json = try CrashsiftBinary.run(["analyze", "--json", x64])
    #expect(json.status == 0)
    let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    let fault = decoded?.first?["fault"] as? [String: Any]
    #expect(fault?["location"] as? String == "amdppm.sys+0x334c")
    #expect((decoded?.first?["modules"] as? [Any])?.count == 151)
  }

  @Test("garbage and missing files fail with a reason and exit 1; a 32-bit dump shows its header")
  func failures() throws {
    let dir = TemporaryDirectory()
    let kernel = dir.file("MEMORY.DMP")
    _ = FileManager.default.createFile(atPath: kernel, contents: Data(FakeDump.kernel32(seed: 1)))
    let garbage = dir.file("garbage.dmp")
    _ = FileManager.default.createFile(atPath: garbage, contents: Data("hello".utf8))
    let result = try CrashsiftBinary.run(["analyze", kernel, garbage, dir.file("missing.dmp")])
    #expect(result.status == 1)
    // Random bytes after the signature: the header is shown, and what could not be read is said.
    #expect(result.stdout.contains("in a 32-bit dump is not supported"))
    #expect(result.stdout.contains("hold no physical memory map"))
    #expect(result.stderr.contains("not MDMP"))
    #expect(result.stderr.contains("cannot open"))
  }

  @Test("written ARM64, x86 PAE, x86 and 32-bit triage dumps: banner, lm, translation (golden)")
  func pagingModes() throws {
    let dir = TemporaryDirectory()
    var paths: [String] = []
    for machine in PagingScenario.machines {
      let path = dir.file("\(machine.name).dmp")
      try PagingScenario.writer(machine, .full).write(PagingScenario.kernel(machine), to: path)
      paths.append(path)
    }
    let triage = PagingScenario.triage32()
    let mini = dir.file("mini32.dmp")
    try triage.write(to: mini)
    paths.append(mini)

    let text = try CrashsiftBinary.run(["analyze"] + paths)
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("  0x9b4a0000 0x9b4bb000 contoso.sys  0x65200000"))
    #expect(text.stdout.contains("address translation: x86-pae"))
    Golden.check(Golden.normalize(text.stdout, workspace: dir.path), against: "analyze-paging.txt")
    let json = try CrashsiftBinary.run(["analyze", "--json"] + paths)
    #expect(json.status == 0)
    let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    #expect(decoded?.map { $0["paging"] as? String } == ["arm64", "x86-pae", "x86", nil])
    #expect(decoded?.map { ($0["modules"] as? [Any])?.count } == [3, 3, 3, 3])
    #expect(decoded?.map { $0["problems"] as? [String] } == [[], [], [], []])
  }
}

/// `explain --windbg` on published logs (the corpus' records: real WinDbg stacks) and on bad input.
@Suite("crashsift explain --windbg")
struct ExplainWindbgTests {
  @Test(
    "published logs give the bucket WinDbg printed (text golden, JSON conforms)",
    .requires(.corpus))
  func published() throws {
    let root = try Requirement.corpus.resolve()
    let logs = "\(root)/kernel/published-analyze/logs"
    var text = ""
    for id in ["bc3b_usbprint_1", "bc1000008e_aswsnx_2", "bc133_gwdrv_1"] {
      let result = try CrashsiftBinary.run(["explain", "--windbg", "\(logs)/\(id).txt"])
      #expect(result.status == 0, "\(result.stderr)")
      text += "== \(id)\n" + result.stdout
    }
    Golden.check(text, against: "explain-windbg.txt")
    #expect(text.contains("FAILURE_BUCKET_ID:  AV_aswSnx!unknown_function"))
    #expect(text.contains("FAILURE_BUCKET_ID:  0x133_DPC_gwdrv!unknown_function"))
    let json = try CrashsiftBinary.run([
      "explain", "--windbg", "\(logs)/bc3b_usbprint_1.txt", "--json",
    ])
    #expect(json.status == 0)
    #expect(json.stdout.contains(#""failure_bucket_id" : "AV_usbprint!USBPRINT_ProcessIOCTL""#))
    #expect(json.stdout.contains(#""kind" : "cxr""#))
  }

  @Test("a log without a stack, garbage, a missing file and bad flags fail with a reason")
  func refused() throws {
    let directory = try TemporaryDirectory()
    let noStack = "\(directory.path)/no-stack.txt"
    try "BUGCHECK_CODE:  d1\nBUGCHECK_P1: 10\n".write(
      toFile: noStack, atomically: true, encoding: .utf8)
    let garbage = "\(directory.path)/garbage.txt"
    try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131) }).write(
      to: URL(fileURLWithPath: garbage))
    for (path, reason) in [
      (noStack, "no stack in the log"), (garbage, "no bug check in the log"),
      ("\(directory.path)/absent.txt", "cannot read the file"),
    ] {
      let result = try CrashsiftBinary.run(["explain", "--windbg", path])
      #expect(result.status == 1)
      #expect(result.stderr.contains(reason), "\(result.stderr)")
    }
    let both = try CrashsiftBinary.run(["explain", "--windbg", noStack, noStack])
    #expect(both.status != 0 && both.stderr.contains("either a dump or --windbg"))
  }
}
