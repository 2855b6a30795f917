import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import KernelDump

/// The two real triage dumps of the corpus against every value of their `*.expected.json`
/// (rizin's expected output plus an independent raw reading; corpus/kernel/PROVENANCE.md).
@Suite("Kernel triage dumps: conformance")
struct TriageConformanceTests {
  static func load(_ name: String) throws -> (KernelDump, [String: Any]) {
    let root = try Requirement.corpus.resolve()
    let dump = try KernelDump(path: "\(root)/kernel/\(name).dmp")
    let data = try #require(
      FileManager.default.contents(atPath: "\(root)/kernel/\(name).expected.json"))
    let expected = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    return (dump, expected)
  }

  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
  static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

  @Test(
    "header, PAGE fill, exception record, triage header, drivers, unloaded drivers, KDBG",
    .requires(.corpus), arguments: ["triage_x64", "triage_arm64"])
  func conformance(name: String) throws {
    let (dump, expected) = try Self.load(name)
    let h = dump.header
    let header = try #require(expected["header"] as? [String: Any])
    func check(_ key: String, _ ours: String?, sourceLocation: SourceLocation = #_sourceLocation) {
      // A PAGE-filled field is absent for us; the expected file shows the fill value.
      let theirs = header[key] as? String
      if ours == nil {
        #expect(theirs == "0x45474150", "\(name) \(key)", sourceLocation: sourceLocation)
      } else {
        #expect(theirs == ours, "\(name) \(key)", sourceLocation: sourceLocation)
      }
    }
    check("MajorVersion", Self.hex(h.majorVersion))
    check("MinorVersion", Self.hex(h.minorVersion))
    check("DirectoryTableBase", h.directoryTableBase.map(Self.hex))
    check("PfnDataBase", h.pfnDataBase.map(Self.hex))
    check("PsLoadedModuleList", h.psLoadedModuleList.map(Self.hex))
    check("PsActiveProcessHead", h.psActiveProcessHead.map(Self.hex))
    check("MachineImageType", Self.hex(h.machineImageType))
    check("NumberProcessors", Self.hex(h.numberProcessors))
    check("BugCheckCode", Self.hex(h.bugCheckCode))
    check("KdDebuggerDataBlock", h.kdDebuggerDataBlock.map(Self.hex))
    check("DumpType", Self.hex(h.dumpType.rawValue))
    check("RequiredDumpSpace", h.requiredDumpSpace.map(Self.hex))
    check("SystemTime", h.systemTime.map(Self.hex))
    check("SystemUpTime", h.systemUpTime.map(Self.hex))
    check("MiniDumpFields", h.miniDumpFields.map(Self.hex))
    check("SecondaryDataState", h.secondaryDataState.map(Self.hex))
    check("ProductType", h.productType.map(Self.hex))
    check("SuiteMask", h.suiteMask.map(Self.hex))
    check("WriterStatus", h.writerStatus.map(Self.hex))
    check("KdSecondaryVersion", Self.hex(UInt32(h.kdSecondaryVersion)))
    check("Attributes", h.attributes.map(Self.hex))
    check("BootId", h.bootID.map(Self.hex))
    #expect(header["BugCheckParameters"] as? [String] == h.bugCheckParameters.map(Self.hex))

    let exception = try #require(expected["exception_record"] as? [String: Any])
    #expect(exception["ExceptionCode"] as? String == dump.exception.map { Self.hex($0.code) })
    #expect(exception["ExceptionFlags"] as? String == dump.exception.map { Self.hex($0.flags) })
    #expect(exception["ExceptionAddress"] as? String == dump.exception.map { Self.hex($0.address) })

    let triage = try #require(dump.triage)
    let t = try #require(expected["triage_header_at_0x2000"] as? [String: String])
    let ours: [String: UInt64] = [
      "ServicePackBuild": UInt64(triage.servicePackBuild), "SizeOfDump": UInt64(triage.sizeOfDump),
      "ValidOffset": UInt64(triage.validOffset), "ContextOffset": UInt64(triage.contextOffset),
      "ExceptionOffset": UInt64(triage.exceptionOffset), "MmOffset": UInt64(triage.mmOffset),
      "UnloadedDriversOffset": UInt64(triage.unloadedDriversOffset),
      "PrcbOffset": UInt64(triage.prcbOffset),
      "ProcessOffset": UInt64(triage.processOffset), "ThreadOffset": UInt64(triage.threadOffset),
      "CallStackOffset": UInt64(triage.callStackOffset),
      "SizeOfCallStack": UInt64(triage.sizeOfCallStack),
      "DriverListOffset": UInt64(triage.driverListOffset),
      "DriverCount": UInt64(triage.driverCount),
      "StringPoolOffset": UInt64(triage.stringPoolOffset),
      "StringPoolSize": UInt64(triage.stringPoolSize),
      "BrokenDriverOffset": UInt64(triage.brokenDriverOffset),
      "TriageOptions": UInt64(triage.triageOptions),
      "TopOfStack": triage.topOfStack, "DataPageAddress": triage.dataPageAddress,
      "DataPageOffset": UInt64(triage.dataPageOffset), "DataPageSize": UInt64(triage.dataPageSize),
      "DebuggerDataOffset": UInt64(triage.debuggerDataOffset),
      "DebuggerDataSize": UInt64(triage.debuggerDataSize),
      "DataBlocksOffset": UInt64(triage.dataBlocksOffset),
      "DataBlocksCount": UInt64(triage.dataBlocksCount),
    ]
    for (key, value) in ours { #expect(t[key] == Self.hex(value), "\(name) triage \(key)") }
    #expect(triage.isValid == (expected["triage_valid_marker"] as? String == "TRGD"))

    let drivers = try #require(expected["driver_list"] as? [[String: String]])
    #expect(dump.modules.count == drivers.count)
    #expect(expected["driver_list_count"] as? Int == dump.modules.count)
    for (theirs, mine) in zip(drivers, dump.modules) {
      #expect(theirs["name"] == mine.name)
      #expect(theirs["path"] == mine.path)
      #expect(theirs["base"] == Self.hex(mine.base))
      #expect(theirs["size"] == Self.hex(mine.size))
      #expect(theirs["checksum"] == Self.hex(mine.checksum))
      #expect(theirs["timestamp"] == Self.hex(mine.timeDateStamp))
    }
    let unloaded = try #require(expected["unloaded_drivers"] as? [[String: String]])
    #expect(unloaded.map { $0["name"] } == dump.unloadedDrivers.map(\.name))
    #expect(unloaded.map { $0["start"] } == dump.unloadedDrivers.map { Self.hex($0.start) })
    #expect(unloaded.map { $0["end"] } == dump.unloadedDrivers.map { Self.hex($0.end) })

    let kd = try #require(expected["kddebugger_data64_copy"] as? [String: String])
    let debugger = try #require(dump.debuggerData)
    #expect(kd["OwnerTag"] == debugger.ownerTag)
    #expect(kd["Size"] == Self.hex(debugger.size))
    #expect(kd["KernBase"] == Self.hex(debugger.kernBase))
    #expect(kd["PsLoadedModuleList"] == Self.hex(debugger.psLoadedModuleList))
    #expect(kd["KiProcessorBlock"] == Self.hex(debugger.kiProcessorBlock))
    #expect(kd["OffsetKThreadApcProcess"] == Self.hex(UInt32(debugger.offsetKThreadApcProcess)))
    #expect(kd["OffsetKThreadTeb"] == Self.hex(UInt32(debugger.offsetKThreadTeb)))
    #expect(kd["OffsetPrcbCurrentThread"] == Self.hex(UInt32(debugger.offsetPrcbCurrentThread)))
    #expect(kd["OffsetPrcbContext"] == Self.hex(UInt32(debugger.offsetPrcbContext)))
    #expect(
      kd["OffsetPrcbProcStateContext"] == Self.hex(UInt32(debugger.offsetPrcbProcStateContext)))
    #expect(kd["OffsetPcrContainedPrcb"] == Self.hex(UInt32(debugger.offsetPcrContainedPrcb)))
    #expect(kd["SizeEProcess"] == Self.hex(UInt32(debugger.sizeEProcess)))
    #expect(kd["SizeEThread"] == Self.hex(UInt32(debugger.sizeEThread)))

    #expect(expected["prcb_copy_CurrentThread"] as? String == dump.currentThread.map(Self.hex))
    #expect(
      expected["thread_copy_ApcState_Process"] as? String == dump.currentProcess.map(Self.hex))
    let process = try #require(expected["process_ImageFileName"] as? [String: String])
    #expect(process["value"] == dump.processName)
    #expect(dump.problems.isEmpty, "\(dump.problems)")
  }

  @Test(
    "triage_x64: the faulting address resolves to amdppm.sys + 0x334c; the header context agrees",
    .requires(.corpus))
  func faultingModule() throws {
    let (dump, expected) = try Self.load("triage_x64")
    let fault = try #require(expected["faulting_ip"] as? [String: Any])
    let index = try #require(BugCheckTable.faultingIPParameter(for: dump.header.bugCheckCode))
    let ip = dump.header.bugCheckParameters[index]
    #expect(fault["value"] as? String == Self.hex(ip))
    let module = try #require(dump.module(containing: ip))
    #expect(module.name == fault["module"] as? String)
    #expect(Self.hex(module.base) == fault["module_base"] as? String)
    #expect(Self.hex(module.size) == fault["module_size"] as? String)
    #expect(Self.hex(ip - module.base) == fault["rva"] as? String)
    #expect(dump.context?.instructionPointer == ip)
    let context = try #require(expected["header_context_x64"] as? [String: String])
    #expect(context["rsp"] == dump.context?.stackPointer.map(Self.hex))
    #expect(context["ContextFlags"] == dump.context.map { Self.hex($0.flags) })
    #expect(module.codeIdentifier == "C9C030003b000")
    let report = KernelDumpReport(dump, name: "triage_x64.dmp")
    #expect(report.fault?.location == "amdppm.sys+0x334c")
    #expect(report.bugCheck.name == "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M")
    #expect(report.processName == "System")
  }

  @Test(
    "triage virtual memory: the KDBG copy and the stack are readable at their addresses",
    .requires(.corpus))
  func virtualReads() throws {
    let (dump, _) = try Self.load("triage_x64")
    let kdbg = try #require(dump.header.kdDebuggerDataBlock)
    let tag = try dump.read(virtual: kdbg + 0x10, count: 4)
    #expect(String(decoding: tag, as: UTF8.self) == "KDBG")
    let triage = try #require(dump.triage)
    #expect(try dump.read(virtual: triage.topOfStack, count: 16).count == 16)
    // The data blocks total 0x119b52 bytes (reference/kernel-dumps.md §1.7).
    let blocks = dump.virtualRanges.filter { $0.source == "data block" }
    #expect(blocks.count == 0x727)
    #expect(blocks.reduce(0) { $0 + $1.size } == 0x119B52)
    #expect(throws: ParseError.self) { try dump.read(virtual: 0x1000, count: 8) }
  }

  @Test("bug-check names: the documented table, _M for the 0x1000xxxx forms")
  func bugCheckNames() {
    #expect(BugCheckTable.count == 425)
    #expect(BugCheckTable.name(for: 0xD1) == "DRIVER_IRQL_NOT_LESS_OR_EQUAL")
    #expect(BugCheckTable.name(for: 0x50) == "PAGE_FAULT_IN_NONPAGED_AREA")
    #expect(BugCheckTable.name(for: 0x1000_007E) == "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M")
    #expect(BugCheckTable.name(for: 0x1C8) == "MANUALLY_INITIATED_POWER_BUTTON_HOLD")
    #expect(BugCheckTable.name(for: 0xFFFF_FFF0) == nil)
    #expect(BugCheckTable.faultingIPParameter(for: 0xD1) == 3)
    #expect(BugCheckTable.faultingIPParameter(for: 0x133) == nil)
  }
}
