import ByteReader
import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

@testable import KernelDump

/// The triage writer (no independent reader accepts type 4: kdmp-parser refuses it) checked
/// against what it was asked to write, through the same reader that matches the real triage dumps.
@Suite("Triage dump writer")
struct TriageWriterTests {
  @Test(
    "a written triage dump reads back: drivers, unloaded drivers, KDBG, thread, process, memory")
  func roundTrip() throws {
    var writer = TriageDumpWriter()
    writer.modules = SyntheticScenario.modules
    writer.unloaded = [("dam.sys", 0xFFFF_F804_87DE_0000, 0xFFFF_F804_87DF_C000)]
    writer.header.bugCheckParameters = [
      0xFFFF_FFFF_C000_0005, SyntheticScenario.modules[2].base + 0x334C, 0, 0,
    ]
    writer.header.rip = SyntheticScenario.modules[2].base + 0x334C
    writer.dataBlocks = [(0xFFFF_F804_7710_0000, Array("DATA-BLOCK".utf8))]
    let dir = TemporaryDirectory()
    let path = dir.file("triage.dmp")
    try writer.write(to: path)
    let dump = try KernelDump(path: path)
    #expect(dump.problems.isEmpty, "\(dump.problems)")
    #expect(dump.header.dumpType == .triage)
    #expect(dump.triage?.isValid == true)
    #expect(dump.modules.map(\.path) == SyntheticScenario.modules.map(\.path))
    #expect(dump.modules.map(\.name) == SyntheticScenario.modules.map(\.name))
    #expect(dump.modules.map(\.base) == SyntheticScenario.modules.map(\.base))
    #expect(dump.modules.map(\.size) == SyntheticScenario.modules.map(\.size))
    #expect(dump.modules.map(\.checksum) == SyntheticScenario.modules.map(\.checksum))
    #expect(dump.modules.map(\.timeDateStamp) == SyntheticScenario.modules.map(\.timeDateStamp))
    #expect(dump.unloadedDrivers.map(\.name) == ["dam.sys"])
    #expect(dump.debuggerData?.kernBase == writer.kernBase)
    #expect(dump.currentThread == writer.thread)
    #expect(dump.currentProcess == writer.process)
    #expect(dump.processName == "System")
    #expect(dump.module(containing: writer.header.bugCheckParameters[1])?.name == "contoso.sys")
    #expect(
      String(decoding: try dump.read(virtual: 0xFFFF_F804_7710_0000, count: 10), as: UTF8.self)
        == "DATA-BLOCK")
    #expect(try dump.read(virtual: writer.topOfStack, count: 4) == [0xCC, 0xCC, 0xCC, 0xCC])
    let kdbg = try dump.read(virtual: writer.header.kdDebuggerDataBlock ?? 0, count: 0x20)
    #expect(String(decoding: kdbg[0x10..<0x14], as: UTF8.self) == "KDBG")
    #expect(dump.context?.instructionPointer == writer.header.rip)
  }
}
