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
