import Testing

@testable import KernelDump

/// The EPROCESS.ImageFileName table: each row as its sources give it, and names read through it
/// checked before they are shown.
@Suite("EPROCESS.ImageFileName offsets")
struct ImageFileNameOffsetsTests {
  @Test(
    "public builds map to their published offsets; unknown builds to nil",
    arguments: [
      (UInt32(0x8664), UInt32(7601), 0x2E0), (0x8664, 9600, 0x438), (0x8664, 10240, 0x448),
      (0x8664, 14393, 0x450), (0x8664, 17763, 0x450), (0x8664, 19045, 0x5A8),
      (0x8664, 22631, 0x5A8), (0x8664, 26100, 0x338), (0x14C, 7600, 0x16C), (0x14C, 10240, 0x170),
      (0x14C, 17763, 0x17C), (0xAA64, 22000, 0x560), (0xAA64, 26100, 0x328),
    ])
  func offsets(machine: UInt32, build: UInt32, offset: Int) {
    #expect(KernelDump.imageFileNameOffset(machine: machine, build: build) == offset)
  }

  @Test("builds between published ranges and unknown machines have no offset")
  func gaps() {
    #expect(KernelDump.imageFileNameOffset(machine: 0x8664, build: 20348) == nil)
    #expect(KernelDump.imageFileNameOffset(machine: 0xAA64, build: 22621) == nil)
    #expect(KernelDump.imageFileNameOffset(machine: 0x1C4, build: 19041) == nil)
  }

  @Test("a name must be printable and non-empty: a wrong offset gives no name, not garbage")
  func names() {
    #expect(ImageFileNameOffsets.name(Array("System".utf8) + [0, 0x41]) == "System")
    #expect(ImageFileNameOffsets.name(Array("csrss.exe".utf8)) == "csrss.exe")
    #expect(ImageFileNameOffsets.name([0, 0x41, 0x42]) == nil)
    #expect(ImageFileNameOffsets.name([0x41, 0x07, 0xFF]) == nil)
    #expect(ImageFileNameOffsets.name([]) == nil)
  }
}
