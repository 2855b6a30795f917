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

  @Test("nothing attached above the PDO: WinDbg's plain 0x9F_3_IMAGE_<image> form")
  func plain() throws {
    let bytes = ProcessScenario.bytes(.full)
    let kernel = try KernelDump(file: MappedFile(copying: bytes, label: "clean"))
    // The same dump with the PDO's AttachedDevice (+0x18) cleared.
    var edited = bytes
    let offset = try #require(Self.fileOffset(of: ProcessScenario.pdo + 0x18, in: kernel))
    edited.replaceSubrange(offset..<(offset + 8), with: [UInt8](repeating: 0, count: 8))
    let alone = try KernelDump(file: MappedFile(copying: edited, label: "alone"))
    #expect(Self.bucket(alone).failureBucketID == "0x9F_3_IMAGE_contoso.sys")
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
