import ByteReader
import CrashsiftTestSupport
import Crypto
import DumpSynth
import Foundation
import Testing

@testable import KernelDump

/// Dumps of types 1, 5, 6, 8, 9 and 10 from the writer, read by crashsift and by kdmp-parser
/// (`../shared/oracles/kdmp_oracle.py`): header, the set of physical pages and their bytes, and
/// virtual reads must agree. This also proves the writer writes real dumps.
@Suite("Synthetic kernel dumps: crashsift and kdmp-parser agree")
struct SyntheticDumpTests {
  /// kdmp_oracle.py's reading of `path`; throws naming the oracle when it is not installed.
  static func oracle(_ path: String, reads: [(UInt64, Int)]) throws -> [String: Any] {
    let python = try Requirement.oraclePython.resolve()
    let script = try Requirement.oracleScript("kdmp_oracle.py").resolve()
    let arguments =
      [script, path, "--pages", "--read-va"]
      + reads.flatMap { ["0x" + String($0.0, radix: 16), String($0.1)] }
    let output = try Tools.output(python, arguments)
    return try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any], "\(path)")
  }

  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

  /// Writes the synthetic kernel in layout `name` into `dir`: the kernel, writer and path.
  static func write(_ name: String, in dir: TemporaryDirectory) throws
    -> (SyntheticKernel, KernelDumpWriter, String)
  {
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == name }).1
    let kernel = SyntheticScenario.kernel()
    let writer = SyntheticScenario.writer(layout)
    let path = dir.file("\(name).dmp")
    try writer.write(kernel, to: path)
    return (kernel, writer, path)
  }

  @Test(
    "each layout: our reading equals the writer's intent",
    arguments: SyntheticScenario.layouts.map(\.0))
  func layout(name: String) throws {
    let dir = TemporaryDirectory()
    let (kernel, writer, path) = try Self.write(name, in: dir)
    let dump = try KernelDump(path: path)

    // What the writer meant.
    #expect(dump.problems.isEmpty, "\(dump.problems)")
    #expect(dump.header.dumpType.rawValue == writer.layout.dumpTypeValue)
    #expect(dump.physicalMemory?.pageCount == UInt64(kernel.pages.count))
    #expect(dump.physicalMemory?.allPFNs() == kernel.pages.keys.sorted())
    let data = try dump.read(virtual: SyntheticScenario.dataVA, count: 16)
    #expect(String(decoding: data, as: UTF8.self) == "SYNTHETIC-PAGE!\0")
    #expect(dump.translate(virtual: SyntheticScenario.largeVA + 0x5123) == 0x20_5123)
    #expect(
      String(
        decoding: try dump.read(virtual: SyntheticScenario.largeVA + 0x5000, count: 12),
        as: UTF8.self) == "LARGE-PAGE-5")
    #expect(throws: ParseError.self) {
      try dump.read(virtual: SyntheticScenario.largeVA + 0x6000, count: 1)
    }
    #expect(dump.translate(virtual: SyntheticScenario.transitionVA) == nil)
    #expect(dump.modules.map(\.name) == SyntheticScenario.modules.map(\.name))
    #expect(dump.modules.map(\.path) == SyntheticScenario.modules.map(\.path))
    #expect(dump.modules.map(\.base) == SyntheticScenario.modules.map(\.base))
    #expect(dump.modules.map(\.timeDateStamp) == SyntheticScenario.modules.map(\.timeDateStamp))
    #expect(dump.debuggerData?.kernBase == SyntheticScenario.modules[0].base)
    #expect(dump.currentThread == SyntheticScenario.thread)
    #expect(dump.currentProcess == SyntheticScenario.process)
    #expect(dump.processName == "System")
    #expect(dump.module(containing: writer.bugCheckParameters[3])?.name == "contoso.sys")
  }

  @Test(
    "each layout: kdmp-parser reads the same header, pages and virtual memory",
    .requires(.oraclePython, .oracleScript("kdmp_oracle.py")),
    arguments: SyntheticScenario.layouts.map(\.0))
  func layoutOracle(name: String) throws {
    let dir = TemporaryDirectory()
    let (_, _, path) = try Self.write(name, in: dir)
    let dump = try KernelDump(path: path)
    let reads: [(UInt64, Int)] = [
      (SyntheticScenario.dataVA, 16), (SyntheticScenario.largeVA + 0x5000, 32),
      (SyntheticScenario.kdbgVA, 0x40), (SyntheticScenario.moduleHead, 16),
      (SyntheticScenario.transitionVA, 8), (SyntheticScenario.dataVA + 0xFF8, 16),
    ]
    let oracle = try Self.oracle(path, reads: reads)
    let header = try #require(oracle["header"] as? [String: Any])
    #expect(header["MinorVersion"] as? String == Self.hex(UInt64(dump.header.minorVersion)))
    #expect(header["DirectoryTableBase"] as? String == dump.header.directoryTableBase.map(Self.hex))
    #expect(header["PsLoadedModuleList"] as? String == dump.header.psLoadedModuleList.map(Self.hex))
    #expect(
      header["KdDebuggerDataBlock"] as? String == dump.header.kdDebuggerDataBlock.map(Self.hex))
    #expect(header["BugCheckCode"] as? String == Self.hex(UInt64(dump.header.bugCheckCode)))
    #expect(
      header["BugCheckCodeParameter"] as? [String] == dump.header.bugCheckParameters.map(Self.hex))
    #expect(header["NumberProcessors"] as? String == Self.hex(UInt64(dump.header.numberProcessors)))
    #expect(header["SystemTime"] as? String == dump.header.systemTime.map(Self.hex))
    #expect(header["DumpType"] as? Int == Int(dump.header.dumpType.rawValue))
    let context = try #require(oracle["context"] as? [String: String])
    #expect(context["Rip"] == dump.context?.instructionPointer.map(Self.hex))
    #expect(context["Rsp"] == dump.context?.stackPointer.map(Self.hex))

    try Self.comparePagesAndReads(dump, oracle: oracle, reads: reads)
  }

  /// kdmp-parser's page set, each page's SHA-256, and its virtual reads (bytes, or "missing") equal
  /// ours.
  static func comparePagesAndReads(
    _ dump: KernelDump, oracle: [String: Any], reads: [(UInt64, Int)]
  ) throws {
    let physical = try #require(oracle["physical_pages"] as? [String: Any])
    let pages = try #require(physical["pages"] as? [[String: Any]])
    #expect(
      pages.compactMap { $0["pfn"] as? String }
        == (dump.physicalMemory?.allPFNs() ?? []).map(Self.hex))
    for entry in pages {
      guard let pfnText = entry["pfn"] as? String,
        let pfn = UInt64(pfnText.dropFirst(2), radix: 16),
        let page = dump.physicalPage(pfn)
      else {
        Issue.record("page \(entry) missing on our side")
        continue
      }
      let digest = SHA256.hash(data: Data(page)).map { String(format: "%02x", $0) }.joined()
      #expect(entry["sha256"] as? String == digest, "PFN \(pfn)")
    }
    let virtualReads = try #require(oracle["virtual_reads"] as? [[String: Any]])
    #expect(virtualReads.count == reads.count)
    for (read, theirs) in zip(reads, virtualReads) {
      let ok = theirs["ok"] as? Bool ?? false
      if ok {
        let ours = try dump.read(virtual: read.0, count: read.1)
        #expect(
          theirs["hex"] as? String == ours.map { String(format: "%02x", $0) }.joined(),
          "VA \(Self.hex(read.0))")
      } else {
        #expect(throws: ParseError.self, "VA \(Self.hex(read.0)) should be missing for us too") {
          try dump.read(virtual: read.0, count: read.1)
        }
      }
    }
  }
}

extension KernelDumpWriter.Layout {
  var dumpTypeValue: UInt32 {
    switch self {
    case .full: return 1
    case .bitmap(let type, _), .rdmp(let type): return type
    }
  }
}

extension SyntheticDumpTests {
  @Test(
    "a bitmap whose length is not a multiple of 8 keeps its tail pages (kdmp-parser drops them)")
  func bitmapTail() throws {
    let kernel = SyntheticScenario.kernel()
    var writer = SyntheticScenario.writer(.bitmap(type: 5, signature: "SDMP"))
    writer.roundBitmapBits = false
    let dir = TemporaryDirectory()
    let path = dir.file("tail.dmp")
    try writer.write(kernel, to: path)
    let dump = try KernelDump(path: path)
    guard case .bitmap(_, let bits, _, _) = dump.physicalMemory?.layout else {
      Issue.record("not a bitmap layout")
      return
    }
    #expect(bits % 8 != 0)
    let high = try #require(dump.physicalPage(0x4_1234))
    #expect(String(decoding: high.prefix(9), as: UTF8.self) == "HIGH-PAGE")
    #expect(dump.physicalMemory?.allPFNs() == kernel.pages.keys.sorted())
  }
}

extension SyntheticDumpTests {
  @Test("readPresent returns what is present and lists what is not")
  func partialRead() throws {
    let kernel = SyntheticScenario.kernel()
    let dir = TemporaryDirectory()
    let path = dir.file("partial.dmp")
    try SyntheticScenario.writer(.full).write(kernel, to: path)
    let dump = try KernelDump(path: path)
    // The data page, then the transition page after it (not present).
    let read = dump.readPresent(virtual: SyntheticScenario.dataVA + 0xFF0, count: 0x20)
    #expect(read.bytes.count == 0x20)
    #expect(read.missing == [SyntheticScenario.transitionVA])
    #expect(!read.isComplete)
    #expect(read.bytes[0x10...].allSatisfy { $0 == 0 })
    let whole = dump.readPresent(virtual: SyntheticScenario.dataVA, count: 16)
    #expect(whole.isComplete)
    #expect(String(decoding: whole.bytes, as: UTF8.self) == "SYNTHETIC-PAGE!\0")
  }
}
