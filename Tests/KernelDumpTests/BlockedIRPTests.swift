import Analysis
import ByteReader
import DumpSynth
import Testing

@testable import KernelDump

/// 0x9F Arg1 = 3 is answered by the device stack: the PDO's (Arg2) driver is the image, the
/// driver attached above the PDO qualifies it (`0x9F_3_RtsPer_IMAGE_pci.sys`,
/// `0x9F_3_IMAGE_UsbHub3.sys` in published outputs), read from full, bitmap and RDMP dumps; the
/// IRP's current stack location is detail; what cannot be read says why.
@Suite("0x9F: the driver holding the blocked IRP")
struct BlockedIRPTests {
  static func dump(_ layout: KernelDumpWriter.Layout) throws -> KernelDump {
    try KernelDump(file: MappedFile(copying: ProcessScenario.bytes(layout), label: "0x9F"))
  }

  static func bucket(_ dump: KernelDump) -> CrashBucket {
    Bucketer.bucket(
      Bucketer.crash(of: dump), frames: [], rules: .defaults,
      parameterFrames: Bucketer.parameterFrames(of: dump))
  }

  @Test(
    "full, bitmap and RDMP dumps: PDO → driver → contoso.sys, the filter above it, the IRP's holder",
    arguments: ["full", "bitmap5", "rdmp8"])
  func found(kind: String) throws {
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == kind }?.1)
    let dump = try Self.dump(layout)
    guard case .found(let blocked) = BlockedIRP.read(from: dump) else {
      Issue.record("\(BlockedIRP.read(from: dump))")
      return
    }
    #expect(blocked.irp == ProcessScenario.blockedIRP)
    #expect(blocked.pdo == ProcessScenario.pdo)
    #expect(blocked.module.name == "contoso.sys")
    #expect(blocked.driverName == #"\Driver\contoso"#)
    #expect(blocked.upperDriver == "ContosoFilter")
    #expect(blocked.holderDevice == ProcessScenario.upperDevice)
    #expect(blocked.holderDriverName == #"\Driver\ContosoFilter"#)
    let bucket = Self.bucket(dump)
    #expect(bucket.failureBucketID == "0x9F_3_ContosoFilter_IMAGE_contoso.sys")
    #expect(bucket.imageName == "contoso.sys")
  }

  @Test("the IRP pending at the PDO itself: WinDbg's plain 0x9F_3_IMAGE_<image>, filter or not")
  func plain() throws {
    let bytes = ProcessScenario.bytes(.full)
    let kernel = try KernelDump(file: MappedFile(copying: bytes, label: "clean"))
    // The same dump with the current stack location (the third of four, after the 0xD0-byte
    // IRP, 0x48 bytes each) naming the PDO; the filter stays attached above it, as HidUsb stays
    // above the USBHUB3 PDO in the published 0x9F_3_IMAGE_UsbHub3.sys case.
    var edited = bytes
    let slot = ProcessScenario.blockedIRP + 0xD0 + 2 * 0x48 + 0x28
    let offset = try #require(Self.fileOffset(of: slot, in: kernel))
    for index in 0..<8 {
      edited[offset + index] = UInt8(truncatingIfNeeded: ProcessScenario.pdo >> (8 * index))
    }
    let atPDO = try KernelDump(file: MappedFile(copying: edited, label: "at the PDO"))
    guard case .found(let blocked) = BlockedIRP.read(from: atPDO) else {
      Issue.record("\(BlockedIRP.read(from: atPDO))")
      return
    }
    #expect(blocked.holderDevice == ProcessScenario.pdo)
    #expect(blocked.upperDriver == nil)
    #expect(Self.bucket(atPDO).failureBucketID == "0x9F_3_IMAGE_contoso.sys")
  }

  @Test("a driver name that is not a plain service name never reaches the bucket id")
  func serviceNames() {
    #expect(BlockedIRP.serviceName(#"\Driver\RtsPer"#) == "RtsPer")
    #expect(BlockedIRP.serviceName(#"\FileSystem\Ntfs"#) == "Ntfs")
    #expect(BlockedIRP.serviceName("evil\nFAILURE_BUCKET_ID: x") == nil)
    #expect(BlockedIRP.serviceName(#"\Driver\"# + String(repeating: "a", count: 65)) == nil)
    #expect(BlockedIRP.serviceName("") == nil)
  }

  /// Where a virtual address's byte is in a full dump's file (its one run starts after the
  /// 0x2000-byte header, pages in PFN order).
  static func fileOffset(of address: UInt64, in dump: KernelDump) -> Int? {
    guard let physical = dump.translate(virtual: address), let map = dump.physicalMemory,
      let index = map.allPFNs(limit: 1 << 20).firstIndex(of: physical >> 12)
    else { return nil }
    return 0x2000 + index * 0x1000 + Int(physical & 0xFFF)
  }

  @Test("an Arg2 that is not a device object, or unmapped, gives a reason and no culprit")
  func damaged() throws {
    var bytes = ProcessScenario.bytes(.full)
    // Point Arg2 (header 0x40 + 8) at the first EPROCESS: Type 0, not IO_TYPE_DEVICE.
    let eprocess = SyntheticProcess.examples()[0].address
    for index in 0..<8 { bytes[0x48 + index] = UInt8(truncatingIfNeeded: eprocess >> (8 * index)) }
    let notDevice = try KernelDump(file: MappedFile(copying: bytes, label: "not a device"))
    guard case .unreadable(let why) = BlockedIRP.read(from: notDevice) else {
      Issue.record("a process is not a device object")
      return
    }
    #expect(why.contains("is not a device object"), "\(why)")
    #expect(!Self.bucket(notDevice).failureBucketID.contains("_IMAGE_"))
    for index in 0..<8 {
      bytes[0x48 + index] = UInt8(truncatingIfNeeded: UInt64(0xFFFF_9999_0000_0000) >> (8 * index))
    }
    let unmapped = try KernelDump(file: MappedFile(copying: bytes, label: "unmapped"))
    guard case .unreadable(let missing) = BlockedIRP.read(from: unmapped) else {
      Issue.record("an unmapped PDO cannot be read")
      return
    }
    #expect(missing.contains("not in the dump"))
  }

  @Test("a triage dump of the same bug check says it cannot name the driver")
  func triage() throws {
    var writer = TriageDumpWriter()
    writer.header.bugCheckCode = 0x9F
    writer.header.bugCheckParameters = [3, 0xFFFF_C08B_E120_0000, 0, ProcessScenario.blockedIRP]
    let dump = try KernelDump(file: MappedFile(copying: writer.bytes(), label: "triage"))
    guard case .unreadable(let why) = BlockedIRP.read(from: dump) else {
      Issue.record("a triage dump has no IRP")
      return
    }
    #expect(why.contains("triage dump does not hold the device objects"))
  }

  @Test("other bug checks and other 0x9F subcodes are not read")
  func notApplicable() throws {
    var writer = TriageDumpWriter()
    writer.header.bugCheckCode = 0x9F
    writer.header.bugCheckParameters = [4, 0x258, 0, 0]
    let dump = try KernelDump(file: MappedFile(copying: writer.bytes(), label: "0x9F_4"))
    #expect(BlockedIRP.read(from: dump) == .notApplicable)
  }
}
