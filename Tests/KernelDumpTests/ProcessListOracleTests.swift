import ByteReader
import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

@testable import KernelDump

/// A second reader of the same process lists: scripts/oracles/kdmp-process-walk.py walks them in
/// Python through PyPI kdmp-parser's page-table translation, with the offsets it reads from
/// docs/kernel-offsets/offsets.json itself; crashsift's walk must list the same processes and
/// threads in full, bitmap and RDMP dumps.
@Suite("process lists: crashsift and a walk over kdmp-parser agree")
struct ProcessListOracleTests {
  @Test(
    "every process and thread, in every layout kdmp-parser reads",
    .requires(.oraclePython, .oracleScript("kdmp_oracle.py")),
    arguments: SyntheticScenario.layouts.map(\.0))
  func agree(kind: String) throws {
    let python = try Requirement.oraclePython.resolve()
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == kind }?.1)
    let dir = TemporaryDirectory()
    let path = dir.file("\(kind).dmp")
    let bytes = ProcessScenario.bytes(layout)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let output = try Tools.output(
      python,
      ["\(Corpus.packageRoot)/scripts/oracles/kdmp-process-walk.py", path, "x64", "19041"])
    let oracle = try #require(
      try JSONSerialization.jsonObject(with: output) as? [String: Any], "\(kind)")
    #expect(oracle["stopped"] is NSNull, "\(oracle["stopped"] ?? "")")
    let theirs = try #require(oracle["processes"] as? [[String: Any]])
    let ours = KernelProcessList.read(
      from: try KernelDump(file: MappedFile(copying: bytes, label: kind)))
    #expect(ours.isComplete, "\(ours.problems)")
    #expect(ours.processes.count == theirs.count)
    #expect(theirs.count == SyntheticProcess.examples().count)
    for (process, other) in zip(ours.processes, theirs) {
      #expect(process.address == (other["address"] as? NSNumber)?.uint64Value)
      #expect(process.processID == (other["pid"] as? NSNumber)?.uint64Value)
      #expect(process.parentProcessID == (other["ppid"] as? NSNumber)?.uint64Value)
      #expect(process.imageName == other["name"] as? String)
      #expect(process.createTime == (other["create_time"] as? NSNumber)?.uint64Value)
      let threads = other["threads"] as? [[String: Any]] ?? []
      #expect(process.threads.count == threads.count, "\(process.imageName ?? "")")
      for (thread, otherThread) in zip(process.threads, threads) {
        #expect(thread.address == (otherThread["address"] as? NSNumber)?.uint64Value)
        #expect(thread.processID == (otherThread["pid"] as? NSNumber)?.uint64Value)
        #expect(thread.threadID == (otherThread["tid"] as? NSNumber)?.uint64Value)
        #expect(thread.state == (otherThread["state"] as? NSNumber)?.uint8Value)
        #expect(thread.waitReason == (otherThread["wait_reason"] as? NSNumber)?.uint8Value)
      }
    }
  }
}

/// volatility3 (pinned in scripts/test-requirements.txt) lists the same processes, threads and
/// handles:
/// its own crash-dump layer, page-table walk and list walks (threads through the executive's
/// EPROCESS/ETHREAD lists, crashsift through the kernel's KPROCESS/KTHREAD ones), with the
/// symbol file its own converter makes from the fixture PDB (scripts/oracles/vol3-process-list.py).
@Suite("process lists and handle counts: crashsift and volatility3 agree")
struct Volatility3Tests {
  static var vol: String? {
    guard let python = SchemaValidator.python else { return nil }
    let vol = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("vol")
    return FileManager.default.isExecutableFile(atPath: vol.path) ? python : nil
  }

  static let requirement = Requirement.capability("volatility3 in the test venv") {
    vol == nil
      ? "volatility3 is missing from ~/.cache/crashsift-test-venv (or $CRASHSIFT_TEST_VENV); run scripts/install-deps.sh"
      : nil
  }

  @Test(
    "windows.pslist and windows.threads list what crashsift lists, full and bitmap",
    .requires(requirement), arguments: ["full", "bitmap5"])
  func agree(kind: String) throws {
    let python = try #require(Self.vol)
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == kind }?.1)
    let dir = TemporaryDirectory()
    let path = dir.file("\(kind).dmp")
    let bytes = ProcessScenario.bytes(layout)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let output = try Tools.output(
      python,
      [
        "\(Corpus.packageRoot)/scripts/oracles/vol3-process-list.py", path,
        "\(Corpus.packageRoot)/samples/images/kernel-types/ntkrnlmp.pdb",
        "0x" + String(PagingScenario.x64Modules[0].base, radix: 16),
        "0x" + String(ProcessScenario.head, radix: 16), dir.file("vol3"),
        "0x" + String(ProcessScenario.objectTypeIndexTable, radix: 16),
        "0x" + String(ProcessScenario.objectHeaderCookie, radix: 16),
      ])
    let oracle = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
    let processes = try #require(oracle["processes"] as? [[String: Any]])
    let threads = try #require(oracle["threads"] as? [[String: Any]])
    let ours = KernelProcessList.read(
      from: try KernelDump(file: MappedFile(copying: bytes, label: kind)))
    // volatility3 prints virtual addresses as their low 48 bits.
    let low48 = { (value: UInt64) in value & 0xFFFF_FFFF_FFFF }
    func number(_ value: Any?) -> UInt64? { (value as? NSNumber)?.uint64Value }
    #expect(processes.count == ours.processes.count && !processes.isEmpty)
    for (process, other) in zip(ours.processes, processes) {
      #expect(low48(process.address) == number(other["offset"]))
      #expect(process.processID == number(other["pid"]))
      #expect(process.parentProcessID == number(other["ppid"]))
      #expect(process.imageName == other["name"] as? String)
      // SessionId through EPROCESS.Session → _MM_SESSION_SPACE.SessionId; null outside sessions.
      #expect(process.sessionID.map(UInt64.init) == number(other["session"]), "\(other)")
    }
    struct Thread: Hashable {
      var offset: UInt64?
      var pid: UInt64?
      var tid: UInt64?
    }
    let theirs = Set(
      threads.map {
        Thread(offset: number($0["offset"]), pid: number($0["pid"]), tid: number($0["tid"]))
      })
    let mine = Set(
      ours.processes.flatMap(\.threads).map {
        Thread(offset: low48($0.address), pid: $0.processID, tid: $0.threadID)
      })
    #expect(theirs == mine)
    #expect(mine.count == SyntheticProcess.examples().reduce(0) { $0 + $1.threads.count })

    // windows.handles: volatility3 walks every handle table itself and keeps the entries whose
    // object header has a type it names; per process, as many as crashsift counts.
    let handles = try #require(oracle["handles"] as? [[String: Any]])
    var perProcess: [UInt64: UInt32] = [:]
    for handle in handles {
      if let pid = number(handle["pid"]) { perProcess[pid, default: 0] += 1 }
    }
    for process in ours.processes {
      let id = try #require(process.processID)
      #expect(process.handleCount == perProcess[id] ?? 0, "pid \(id)")
    }
    #expect(
      handles.count
        == SyntheticProcess.examples().reduce(0) { $0 + $1.handleCount } && handles.count > 300)
    // The objects are the processes and threads themselves, named by type.
    let bodies = Set(ours.processes.map { low48($0.address) } + mine.compactMap(\.offset))
    #expect(handles.allSatisfy { number($0["object"]).map(bodies.contains) == true })
    #expect(Set(handles.compactMap { $0["type"] as? String }) == ["Process", "Thread"])
  }
}
