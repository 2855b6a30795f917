import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import KernelDump

/// Bad input: typed errors or partial results with problems, never a trap or an unbounded
/// allocation.
@Suite("Hostile kernel dumps")
struct HostileKernelDumpTests {
  static func triageBytes() -> [UInt8]? {
    guard let root = Corpus.root else { return nil }
    return FileManager.default.contents(atPath: "\(root)/kernel/triage_x64.dmp").map { [UInt8]($0) }
  }

  static func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
  }

  @Test("truncations of the triage dump: errors or partial results")
  func truncations() throws {
    guard let bytes = Self.triageBytes() else {
      #expect(!Tools.isCI)
      return
    }
    var opened = 0
    var partial = 0
    for length in stride(from: 0, through: bytes.count, by: 16_411) {
      guard let dump = try? KernelDump(file: MappedFile(copying: bytes[0..<length])) else {
        continue
      }
      opened += 1
      if !dump.problems.isEmpty { partial += 1 }
      _ = try? dump.read(virtual: dump.header.kdDebuggerDataBlock ?? 0, count: 16)
    }
    #expect(opened > 75)
    #expect(partial > 75)
    #expect(throws: ParseError.self) {
      try KernelDump(file: MappedFile(copying: bytes[0..<0x1FFF]))
    }
  }

  @Test("absurd counts and offsets in the triage header are refused before allocating")
  func absurdCounts() throws {
    guard var bytes = Self.triageBytes() else {
      #expect(!Tools.isCI)
      return
    }
    Self.put(0xFFFF_FFFF, at: 0x2000 + 0x34, in: &bytes)  // DriverCount
    Self.put(0x7FFF_FFFF, at: 0x2000 + 0x7C, in: &bytes)  // DataBlocksCount
    Self.put(0xFFFF_FFF0, at: 0x2000 + 0x70, in: &bytes)  // DebuggerDataOffset
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.modules.isEmpty)
    #expect(dump.debuggerData == nil)
    #expect(
      dump.problems.contains { $0.contains("triage driver list") && $0.contains("do not fit") })
    #expect(dump.problems.contains { $0.contains("triage data blocks") })
    #expect(dump.header.bugCheckCode == 0x1000_007E)
  }

  @Test("a driver name offset outside the file fails the list, not the dump")
  func badStringPool() throws {
    guard var bytes = Self.triageBytes() else {
      #expect(!Tools.isCI)
      return
    }
    let listOffset = 0x10828
    Self.put(0xFFFF_FF00, at: listOffset + 0x90 * 3, in: &bytes)
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.modules.isEmpty)
    #expect(dump.problems.contains { $0.contains("driver name") })
  }

  @Test("a 32-bit dump, a foreign signature and seeded corruption: typed errors only")
  func corruption() throws {
    var header = [UInt8](repeating: 0, count: 0x2000)
    header.replaceSubrange(0..<8, with: Array("PAGEDUMP".utf8))
    #expect(throws: ParseError.self) { try KernelDump(file: MappedFile(copying: header)) }
    header.replaceSubrange(0..<8, with: Array("PAGEDX64".utf8))
    #expect(throws: ParseError.self) { try KernelDump(file: MappedFile(copying: header)) }
    guard let original = Self.triageBytes() else {
      #expect(!Tools.isCI)
      return
    }
    var state: UInt64 = 0x5EED
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 11
    }
    for _ in 0..<60 {
      var bytes = original
      for _ in 0..<6 {
        // Header and triage header fields, then anywhere.
        let offset = Int(next() % 0x2100) & ~3
        let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0x2000][Int(next() % 6)]
        Self.put(value, at: offset, in: &bytes)
      }
      for _ in 0..<16 { bytes[Int(next() % UInt64(bytes.count))] ^= 0xFF }
      if let dump = try? KernelDump(file: MappedFile(copying: bytes)) {
        _ = dump.modules.count
        _ = try? dump.read(virtual: dump.header.bugCheckParameters[1], count: 8)
      }
    }
  }
}
