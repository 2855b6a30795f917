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

extension TriageWriterTests {
  @Test("a 32-bit triage dump (TRIAGE_DUMP32 at 0x1000) reads back through the same API")
  func roundTrip32() throws {
    var writer = PagingScenario.triage32()
    writer.unloaded.append(("averylongname.sys", 0x9D00_0000, 0x9D00_1000))
    let modules = PagingScenario.modules32
    let fault = modules[2].base + 0x334C
    let dir = TemporaryDirectory()
    let path = dir.file("mini32.dmp")
    try writer.write(to: path)
    let dump = try KernelDump(path: path)
    #expect(dump.problems.isEmpty, "\(dump.problems)")
    #expect(!dump.header.is64Bit)
    #expect(dump.header.dumpType == .triage)
    #expect(dump.header.minorVersion == 7601)
    #expect(dump.header.bugCheckParameters == [0xC000_0005, fault, 0x8E3F_B9C0, 0])
    #expect(dump.triage?.isValid == true)
    #expect(dump.triage?.is64Bit == false)
    #expect(dump.triage?.topOfStack == 0x8E3F_B000)
    #expect(dump.modules.map(\.path) == modules.map(\.path))
    #expect(dump.modules.map(\.name) == modules.map(\.name))
    #expect(dump.modules.map(\.base) == modules.map(\.base))
    #expect(dump.modules.map(\.size) == modules.map(\.size))
    #expect(dump.modules.map(\.checksum) == modules.map(\.checksum))
    #expect(dump.modules.map(\.timeDateStamp) == modules.map(\.timeDateStamp))
    // DriverName holds 12 UTF-16 units: longer names are cut there, as the kernel cuts them.
    #expect(dump.unloadedDrivers.map(\.name) == ["dam.sys", "averylongnam"])
    #expect(dump.unloadedDrivers.first?.start == 0x9C00_0000)
    #expect(dump.unloadedDrivers.first?.end == 0x9C01_C000)
    #expect(dump.debuggerData?.kernBase == 0x8280_D000)
    #expect(dump.kernelBase == 0x8280_D000)
    #expect(dump.currentThread == writer.thread)
    #expect(dump.currentProcess == writer.process)
    #expect(dump.processName == nil)
    #expect(dump.module(containing: fault)?.name == "contoso.sys")
    #expect(
      String(decoding: try dump.read(virtual: 0x8771_0000, count: 10), as: UTF8.self)
        == "DATA-BLOCK")
    #expect(try dump.read(virtual: writer.topOfStack, count: 4) == [0xCC, 0xCC, 0xCC, 0xCC])
    let kdbg = try dump.read(virtual: 0x8296_0C28, count: 0x20)
    #expect(String(decoding: kdbg[0x10..<0x14], as: UTF8.self) == "KDBG")
    #expect(dump.context?.instructionPointer == fault)
    #expect(dump.context?.stackPointer == 0x8E3F_B9C0)
    #expect(dump.exception?.code == 0x8000_0003)
  }
}
