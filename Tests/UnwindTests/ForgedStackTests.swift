import Analysis
import ByteReader
import CrashsiftTestSupport
import Forge
import Foundation
import KernelDump
import Minidump
import Symbols
import Testing

/// Forged kernel dumps: the walker recovers the forge's truth frame by frame — through
/// KiPageFault's machine frame and trap frame — in every dump kind, and kdmp-parser reads the
/// same memory.
@Suite("forged kernel stacks")
struct ForgedStackTests {
  /// Every scenario shipped in samples/scenarios.
  static let scenarios = SampleScenarios.names

  static func forge(_ name: String, into dir: TemporaryDirectory) throws -> Forge.Output {
    let root = Corpus.packageRoot
    let scenario = try Forge.load(scenario: "\(root)/samples/scenarios/\(name).json")
    return try Forge.run(scenario, images: "\(root)/samples/images", output: dir.path)
  }

  @Test("every dump kind: the walked stack equals the truth", arguments: scenarios)
  func truth(name: String) throws {
    let dir = TemporaryDirectory()
    let output = try Self.forge(name, into: dir)
    #expect(!output.dumps.isEmpty)
    let symbols = SymbolTableCache(path: SymbolPath(parsing: "srv*\(output.store)"))
    for (dump, truthPath) in zip(output.dumps, output.truths) {
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      let truth = try decoder.decode(
        ForgeTruth.self, from: Data(contentsOf: URL(fileURLWithPath: truthPath)))
      let stack: ThreadStack
      if dump.hasSuffix("-minidump.dmp") {
        let minidump = try Minidump(file: MappedFile(path: dump))
        stack = try #require(ThreadStack.crashingThread(of: minidump, symbols: symbols))
      } else {
        stack = try #require(
          ThreadStack.crashingThread(of: try KernelDump(path: dump), symbols: symbols))
      }
      let scenario = try Forge.load(
        scenario: "\(Corpus.packageRoot)/samples/scenarios/\(name).json")
      // Modules shipped without a PDB unwind from their image but cannot be named.
      let unnamed = Set(scenario.unsymbolized ?? [])
      let ours = stack.frames.map { frame in
        let module = frame.location.module ?? "?"
        let named = !unnamed.contains(module)
        return [
          module, named ? frame.location.function ?? "?" : "",
          named ? "0x" + String(frame.location.functionOffset ?? 0, radix: 16) : "",
          "0x" + String(frame.instruction, radix: 16), "0x" + String(frame.stackPointer, radix: 16),
          frame.trust.rawValue,
        ]
      }
      // A bug check that names the fault's trap frame or context record is walked from it, as
      // `.trap`/`.cxr` do: the truth from the interrupted frame on, that frame the context.
      var truthFrames = truth.frames
      if let context = stack.faultContext {
        let trapped = try #require(truthFrames.firstIndex { $0.trust == "trap" })
        truthFrames = Array(truthFrames[trapped...])
        truthFrames[0].trust = "context"
        #expect(
          truth.parameters.contains("0x" + String(context.address, radix: 16)),
          "\(truth.dumpType): the walk started from a context no parameter names")
      }
      let expected = truthFrames.map {
        let named = !unnamed.contains($0.module)
        return [
          $0.module, named ? $0.function : "", named ? $0.offset : "", $0.instruction,
          $0.stackPointer, $0.trust,
        ]
      }
      #expect(ours == expected, "\(truth.dumpType):\n\(stack.text(x64: true))")
      #expect(!stack.truncated, "\(truth.dumpType): \(stack.stopReason)")
      // The trap frame's registers come from the KTRAP_FRAME (or the CONTEXT record), as
      // `.trap` (`.cxr`) shows them.
      guard truth.frames.contains(where: { $0.trust == "trap" }) else { continue }
      let trap = try #require(
        stack.faultContext != nil ? stack.frames.first : stack.frames.first { $0.trust == .trap })
      let trapTruth = try #require(truth.frames.first { $0.trust == "trap" }?.registers)
      #expect(trapTruth.count == 8)
      for (name, value) in trapTruth {
        #expect(trap.registers?[name].map { "0x" + String($0, radix: 16) } == value, "\(name)")
      }
      #expect(trap.registers?["rip"] == trap.instruction)
    }
  }

  @Test(
    "kdmp-parser accepts every forged full, bitmap and RDMP dump and reads the same stack and code",
    .requires(.oraclePython, .oracleScript("minidump_oracle.py"), .oracleScript("kdmp_oracle.py")),
    arguments: scenarios)
  func oracle(name: String) throws {
    let python = try Requirement.oraclePython.resolve()
    let minidumpOracle = try Requirement.oracleScript("minidump_oracle.py").resolve()
    let kdmpOracle = try Requirement.oracleScript("kdmp_oracle.py").resolve()
    let dir = TemporaryDirectory()
    let output = try Self.forge(name, into: dir)
    for dump in output.dumps where dump.hasSuffix("-minidump.dmp") {
      // skelsec's minidump parser reads the forged minidump's exception, modules and thread.
      let result =
        try JSONSerialization.jsonObject(with: Tools.output(python, [minidumpOracle, dump]))
        as? [String: Any]
      let minidump = try Minidump(file: MappedFile(path: dump))
      let exception = try #require(try minidump.exception())
      let theirs = result?["exception"] as? [String: Any]
      #expect(theirs?["code"] as? String == "0x" + String(exception.code, radix: 16))
      #expect(theirs?["address"] as? String == "0x" + String(exception.address, radix: 16))
      let modules = try #require(try minidump.modules())
      #expect(
        (result?["modules"] as? [[String: Any]])?.map { $0["name"] as? String }
          == modules.map(\.name))
      let thread = (result?["threads"] as? [[String: Any]])?.first
      #expect(
        thread?["stack_start"] as? String == "0x"
          + String(try #require(try minidump.threads()?.first).stack.start, radix: 16))
    }
    for dump in output.dumps
    where !dump.hasSuffix("-triage.dmp") && !dump.hasSuffix("-minidump.dmp") {
      let kernel = try KernelDump(path: dump)
      let context = try #require(kernel.context)
      let rsp = try #require(context.stackPointer)
      let rip = try #require(context.instructionPointer)
      let reads: [(UInt64, Int)] = [(rsp, 0x100), (rip, 0x40)]
      let arguments =
        [kdmpOracle, dump, "--read-va"]
        + reads.flatMap { ["0x" + String($0.0, radix: 16), String($0.1)] }
      let result =
        try JSONSerialization.jsonObject(with: Tools.output(python, arguments)) as? [String: Any]
      let virtualReads = try #require(result?["virtual_reads"] as? [[String: Any]], "\(dump)")
      #expect(virtualReads.count == reads.count)
      for (read, theirs) in zip(reads, virtualReads) {
        #expect(theirs["ok"] as? Bool == true, "\(dump) at 0x\(String(read.0, radix: 16))")
        let ours = try kernel.read(virtual: read.0, count: read.1)
        let hex = ours.map { String(format: "%02x", $0) }.joined()
        #expect(theirs["hex"] as? String == hex, "\(dump) at 0x\(String(read.0, radix: 16))")
      }
    }
  }
}
