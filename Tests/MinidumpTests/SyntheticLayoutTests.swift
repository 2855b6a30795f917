import ByteReader
import Foundation
import Testing

@testable import Minidump

/// Layouts without a corpus sample, checked on dumps assembled field by field from the format
/// (reference/minidump.md §2).
@Suite("Minidump layouts without corpus samples")
struct SyntheticLayoutTests {
  @Test("an NB10 CodeView record gives signature+age as the debug id")
  func nb10() throws {
    var builder = SyntheticMinidump()
    let name = builder.string(#"C:\old\legacy.dll"#)
    let cv = builder.append(
      builder.le32(0x3031_424E) + builder.le32(0) + builder.le32(0x3A1B_2C4D) + builder.le32(0x1A)
        + Array("legacy.pdb\0".utf8))
    var module = builder.le64(0x1000_0000) + builder.le32(0x5000) + builder.le32(0)
    module += builder.le32(0x3A1B_2C4D) + builder.le32(name)
    module += [UInt8](repeating: 0, count: 52)  // VS_FIXEDFILEINFO
    module += builder.le32(27) + builder.le32(UInt32(cv))  // cv_record
    module += builder.le32(0) + builder.le32(0) + builder.le64(0) + builder.le64(0)
    #expect(module.count == 108)
    builder.stream(4, builder.le32(1) + module)
    let dump = try Minidump(file: MappedFile(copying: builder.build()))
    let parsed = try #require(try dump.modules()?.first)
    #expect(parsed.name == #"C:\old\legacy.dll"#)
    #expect(parsed.baseName == "legacy.dll")
    #expect(parsed.codeIdentifier == "3A1B2C4D5000")
    guard case .pdb20(_, let signature, let age, let pdb) = parsed.codeView else {
      Issue.record("expected an NB10 record, got \(String(describing: parsed.codeView))")
      return
    }
    #expect(signature == 0x3A1B_2C4D && age == 0x1A && pdb == "legacy.pdb")
    #expect(parsed.codeView?.debugIdentifier == "3A1B2C4D1a")
  }

  @Test("an ARM64 context (Microsoft layout) is recognised by its flags, with pc, sp, fp, lr")
  func arm64Context() throws {
    var builder = SyntheticMinidump()
    var context = builder.le32(0x0040_0003) + builder.le32(0x6000_0000)  // control|integer, cpsr
    for index in 0..<31 { context += builder.le64(0x1000 + UInt64(index)) }
    context += builder.le64(0x7FF0_0000_1000)  // sp
    context += builder.le64(0x7FF6_1234_5678)  // pc
    context += [UInt8](repeating: 0, count: 912 - context.count)
    let contextRVA = builder.append(context)
    let stackRVA = builder.append([UInt8](repeating: 0xAB, count: 64))
    var thread = builder.le32(42) + builder.le32(0) + builder.le32(0) + builder.le32(0)
    thread += builder.le64(0x7FF0_0000_0000)
    thread += builder.le64(0x7FF0_0000_1000) + builder.le32(64) + builder.le32(UInt32(stackRVA))
    thread += builder.le32(912) + builder.le32(UInt32(contextRVA))
    builder.stream(3, builder.le32(1) + thread)
    var system = builder.le16(12) + builder.le16(8) + builder.le16(0) + [4, 1]
    system += builder.le32(10) + builder.le32(0) + builder.le32(22_000) + builder.le32(2)
    system += builder.le32(0) + builder.le16(0) + builder.le16(0) + [UInt8](repeating: 0, count: 24)
    builder.stream(7, system)
    let dump = try Minidump(file: MappedFile(copying: builder.build()))
    let parsed = try #require(try dump.threads()?.first)
    guard case .arm64(let arm) = parsed.context else {
      Issue.record("not read as ARM64: \(parsed.contextError ?? "?")")
      return
    }
    #expect(arm.pc == 0x7FF6_1234_5678)
    #expect(arm.fp == 0x1000 + 29 && arm.lr == 0x1000 + 30)
    #expect(parsed.context?.instructionPointer == 0x7FF6_1234_5678)
    #expect(parsed.context?.stackPointer == 0x7FF0_0000_1000)
    #expect(try dump.systemInfo()?.processorArchitecture.name == "arm64")
    // Without CONTEXT_CONTROL the pc is not trusted.
    #expect(CPUContext.arm64(arm).instructionPointer != nil)
  }

  @Test("Memory64List ranges are contiguous from base_rva; reads stay inside one range")
  func memory64() throws {
    var builder = SyntheticMinidump()
    let first = [UInt8](0..<16)
    let second = [UInt8](100..<132)
    // Reserve the stream first so the data can follow it contiguously.
    let header = builder.le64(2) + builder.le64(0)  // base_rva patched below
    let ranges =
      builder.le64(0x1_0000) + builder.le64(16) + builder.le64(0x2_0000) + builder.le64(32)
    builder.stream(9, header + ranges)
    let base = builder.append(first + second)
    var file = builder.build()
    // Patch base_rva: the stream body starts 8 bytes after the count.
    let streamOffset = 32
    withUnsafeBytes(of: UInt64(base).littleEndian) {
      file.replaceSubrange((streamOffset + 8)..<(streamOffset + 16), with: $0)
    }
    let dump = try Minidump(file: MappedFile(copying: file))
    let memory = try dump.memory()
    #expect(memory.ranges.map(\.start) == [0x1_0000, 0x2_0000])
    #expect(try memory.read(address: 0x1_0004, count: 4) == [4, 5, 6, 7])
    #expect(try memory.read(address: 0x2_0000, count: 2) == [100, 101])
    #expect(try memory.u32(at: 0x2_0000) == 0x6766_6564)
    #expect(throws: ParseError.self) { try memory.read(address: 0x1_000E, count: 4) }
    #expect(throws: ParseError.self) { try memory.read(address: 0x3_0000, count: 1) }
  }
}
