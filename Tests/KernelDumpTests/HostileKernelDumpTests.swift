import ByteReader
import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

@testable import KernelDump

/// Bad input: typed errors or partial results with problems, never a trap or an unbounded
/// allocation.
@Suite("Hostile kernel dumps")
struct HostileKernelDumpTests {
  static func triageBytes() throws -> [UInt8] {
    let path = "\(try Requirement.corpus.resolve())/kernel/triage_x64.dmp"
    return [UInt8](try #require(FileManager.default.contents(atPath: path), "\(path)"))
  }

  static func put(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
  }

  @Test("truncations of the triage dump: errors or partial results", .requires(.corpus))
  func truncations() throws {
    let bytes = try Self.triageBytes()
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

  @Test(
    "absurd counts and offsets in the triage header are refused before allocating",
    .requires(.corpus))
  func absurdCounts() throws {
    var bytes = try Self.triageBytes()
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

  @Test("a driver name offset outside the file fails the list, not the dump", .requires(.corpus))
  func badStringPool() throws {
    var bytes = try Self.triageBytes()
    let listOffset = 0x10828
    Self.put(0xFFFF_FF00, at: listOffset + 0x90 * 3, in: &bytes)
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.modules.isEmpty)
    #expect(dump.problems.contains { $0.contains("driver name") })
  }

  @Test("a short 32-bit dump, a foreign signature and seeded corruption: typed errors only")
  func corruption() throws {
    var header = [UInt8](repeating: 0, count: 0x2000)
    header.replaceSubrange(0..<8, with: Array("PAGEDUMP".utf8))
    #expect(throws: ParseError.self) {
      try KernelDump(file: MappedFile(copying: header[0..<0xFFF]))
    }
    header.replaceSubrange(0..<8, with: Array("PAGEDX64".utf8))
    #expect(throws: ParseError.self) { try KernelDump(file: MappedFile(copying: header)) }
  }

  @Test(
    "seeded corruption of the triage dump's headers: a typed error or a bounded partial dump",
    .requires(.corpus))
  func mutations() throws {
    let original = try Self.triageBytes()
    let reference = try KernelDump(file: MappedFile(copying: original))
    var state: UInt64 = 0x5EED
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 11
    }
    var opened = 0
    var refused = 0
    var withProblems = 0
    for mutant in 0..<60 {
      var bytes = original
      for _ in 0..<6 {
        // Header and triage header fields, then anywhere.
        let offset = Int(next() % 0x2100) & ~3
        let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0x2000][Int(next() % 6)]
        Self.put(value, at: offset, in: &bytes)
      }
      for _ in 0..<16 { bytes[Int(next() % UInt64(bytes.count))] ^= 0xFF }
      let dump: KernelDump
      do {
        dump = try KernelDump(file: MappedFile(copying: bytes))
      } catch {
        refused += 1
        #expect(!error.context.isEmpty && !error.reason.isEmpty, "mutant \(mutant): \(error)")
        continue
      }
      opened += 1
      #expect(
        bytes[0..<8].elementsEqual("PAGEDU64".utf8) || bytes[0..<8].elementsEqual("PAGEDUMP".utf8),
        "mutant \(mutant) opened without a kernel dump signature")
      if !dump.problems.isEmpty { withProblems += 1 }
      // Every driver entry needs its own bytes in the file: a corrupted count cannot make the
      // reader invent (or allocate for) more modules than the file can describe.
      #expect(dump.modules.count * 0x90 <= bytes.count, "mutant \(mutant)")
      #expect(dump.problems.allSatisfy { !$0.isEmpty }, "mutant \(mutant)")
      // A virtual read returns exactly what was asked for, or throws; never more, never a trap.
      if let read = try? dump.read(virtual: dump.header.bugCheckParameters[1], count: 8) {
        #expect(read.count == 8, "mutant \(mutant)")
      }
    }
    #expect(opened + refused == 60)
    // The reference dump opens cleanly, so problems in a mutant come from its mutation; some
    // mutants must be refused and some must open with the damage reported, or the checks
    // above were never exercised.
    #expect(reference.problems.isEmpty, "\(reference.problems)")
    #expect(refused >= 1, "no mutant was refused")
    #expect(opened >= 20, "only \(opened) of 60 mutants opened")
    #expect(withProblems >= 3, "only \(withProblems) opened mutants reported a problem")
  }
}

extension HostileKernelDumpTests {
  static func synthetic(
    _ layout: KernelDumpWriter.Layout, edit: (SyntheticKernel) -> Void = { _ in }
  ) -> [UInt8] {
    let kernel = SyntheticScenario.kernel()
    edit(kernel)
    return SyntheticScenario.writer(layout).bytes(kernel)
  }

  @Test("a bitmap claiming more present pages than the file holds is refused with a reason")
  func bitmapTooManyPages() throws {
    var bytes = Self.synthetic(.bitmap(type: 5, signature: "SDMP"))
    withUnsafeBytes(of: UInt64(1 << 30).littleEndian) {
      bytes.replaceSubrange(0x2028..<0x2030, with: $0)
    }
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.physicalMemory == nil)
    #expect(
      dump.problems.contains { $0.contains("present pages") && $0.contains("do not fit") },
      "\(dump.problems)")
    #expect(dump.header.bugCheckCode == 0xD1)
    #expect(throws: ParseError.self) { try dump.read(virtual: SyntheticScenario.dataVA, count: 4) }
  }

  @Test("a bitmap longer than the file is refused")
  func bitmapTooLong() throws {
    var bytes = Self.synthetic(.bitmap(type: 6, signature: "FDMP"))
    withUnsafeBytes(of: UInt64(1 << 36).littleEndian) {
      bytes.replaceSubrange(0x2030..<0x2038, with: $0)
    }
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.problems.contains { $0.contains("bitmap of") }, "\(dump.problems)")
  }

  @Test("overlapping runs and runs past the end of a full dump are refused")
  func overlappingRuns() throws {
    var bytes = Self.synthetic(.full)
    // Make run 1 start inside run 0.
    let run0Base = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0x98, as: UInt64.self) }
    withUnsafeBytes(of: (run0Base + 1).littleEndian) {
      bytes.replaceSubrange(0xA8..<0xB0, with: $0)
    }
    let overlapping = try KernelDump(file: MappedFile(copying: bytes))
    #expect(
      overlapping.problems.contains { $0.contains("runs overlap") }, "\(overlapping.problems)")
    var long = Self.synthetic(.full)
    withUnsafeBytes(of: UInt64(1 << 30).littleEndian) {
      long.replaceSubrange(0xA0..<0xA8, with: $0)
    }
    let tooLong = try KernelDump(file: MappedFile(copying: long))
    #expect(
      tooLong.problems.contains { $0.contains("runs past the end of the file") },
      "\(tooLong.problems)")
    var many = Self.synthetic(.full)
    withUnsafeBytes(of: UInt32(0x4547_4150).littleEndian) {
      many.replaceSubrange(0x88..<0x8C, with: $0)
    }
    let fill = try KernelDump(file: MappedFile(copying: many))
    #expect(
      fill.problems.contains { $0.contains("do not fit the 700-byte descriptor") },
      "\(fill.problems)")
  }

  @Test("a module list that loops stops with the modules read and says so")
  func loopingModuleList() throws {
    let bytes = Self.synthetic(.rdmp(type: 8)) { kernel in
      // The third entry's Flink points back at the first entry instead of the head.
      kernel.write64(virtual: 0xFFFF_F804_7D00_0000 + 2 * 0x200, 0xFFFF_F804_7D00_0000)
    }
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.modules.count == 3)
    #expect(dump.problems.contains { $0.contains("loops back") }, "\(dump.problems)")
  }

  @Test("page tables pointing outside the dump's memory read as not present")
  func tablesOutsideMemory() throws {
    let bytes = Self.synthetic(.full) { kernel in
      // A PTE whose PFN is far beyond any page the dump holds, and a PML4E pointing nowhere.
      kernel.map(virtual: 0xFFFF_F800_5555_0000, toPFN: 0xF_FFFF_FFFF)
      kernel.write64(virtual: 0xFFFF_F800_1234_0000 + 0x800, 0)
    }
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.translate(virtual: 0xFFFF_F800_5555_0000) == 0xF_FFFF_FFFF << 12)
    #expect(throws: ParseError.self) { try dump.read(virtual: 0xFFFF_F800_5555_0000, count: 8) }
    #expect(dump.translate(virtual: 0x0000_7FF0_0000_0000) == nil)
    #expect(throws: ParseError.self) {
      try dump.read(virtual: 0xFFFF_F800_1234_0FF0, count: 0x2000)
    }
    #expect(throws: ParseError.self) { try dump.read(virtual: 0xFFFF_F800_1234_0000, count: -1) }
  }
}

extension HostileKernelDumpTests {
  @Test("a 32-bit PAGEDUMP header: build, bug check, PAE flag, x86 context; the rest reported")
  func header32() throws {
    var bytes = [UInt8](repeating: 0, count: 0x1000)
    for offset in stride(from: 0, to: 0x1000, by: 4) {
      Self.put(0x4547_4150, at: offset, in: &bytes)
    }
    bytes.replaceSubrange(0..<8, with: Array("PAGEDUMP".utf8))
    Self.put(0xF, at: 0x08, in: &bytes)
    Self.put(2600, at: 0x0C, in: &bytes)
    Self.put(0x39_0000, at: 0x10, in: &bytes)
    Self.put(0x14C, at: 0x20, in: &bytes)
    Self.put(1, at: 0x24, in: &bytes)
    Self.put(0x8E, at: 0x28, in: &bytes)
    let parameters: [UInt32] = [0xC000_0005, 0x8053_8B4C, 0xF7A3_3C44, 0]
    for (index, value) in parameters.enumerated() {
      Self.put(value, at: 0x2C + index * 4, in: &bytes)
    }
    bytes[0x5C] = 1
    bytes.replaceSubrange(0x320..<(0x320 + 716), with: [UInt8](repeating: 0, count: 716))
    Self.put(0x1_003F, at: 0x320, in: &bytes)
    Self.put(0x8053_8B4C, at: 0x320 + 0xB8, in: &bytes)
    Self.put(3, at: 0xF88, in: &bytes)
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(!dump.header.is64Bit)
    #expect(dump.header.minorVersion == 2600)
    #expect(dump.header.machineName == "x86")
    #expect(dump.header.paeEnabled == true)
    #expect(dump.header.bugCheckCode == 0x8E)
    #expect(dump.header.bugCheckParameters == parameters.map(UInt64.init))
    #expect(dump.header.psLoadedModuleList == nil)
    #expect(dump.context?.instructionPointer == 0x8053_8B4C)
    // DumpType 3 (header only) holds no memory: said, and reads fail with a reason.
    #expect(dump.problems.contains { $0.contains("hold no physical memory") })
    #expect(throws: ParseError.self) { try dump.read(virtual: 0x8053_8B4C, count: 4) }
  }

  /// A written 32-bit x86 full dump (PAE) of the paging scenario, as bytes to damage.
  static func dump32(_ layout: KernelDumpWriter.Layout = .full) -> (
    [UInt8], PagingModeTests.Machine
  ) {
    let machine = PagingModeTests.machines[1]
    let kernel = PagingModeTests.kernel(machine)
    return (PagingModeTests.writer(machine, layout).bytes(kernel), machine)
  }

  @Test("32-bit full dumps: too many runs, runs past the end, overlapping runs")
  func runs32() throws {
    var (bytes, _) = Self.dump32()
    let runs = Int(bytes[0x64])
    var many = bytes
    Self.put(87, at: 0x64, in: &many)
    let tooMany = try KernelDump(file: MappedFile(copying: many))
    #expect(tooMany.problems.contains { $0.contains("at most 86") })
    #expect(tooMany.modules.isEmpty)
    var long = bytes
    Self.put(0xFFFF_FFF0, at: 0x70 + (runs - 1) * 8, in: &long)
    let pastEnd = try KernelDump(file: MappedFile(copying: long))
    #expect(pastEnd.problems.contains { $0.contains("past the end of the file") })
    #expect(pastEnd.header.bugCheckCode == 0xD1)
    // The second run starts inside the first.
    let first = UInt32(bytes[0x6C]) | UInt32(bytes[0x6D]) << 8
    Self.put(first, at: 0x6C + 8, in: &bytes)
    let overlapping = try KernelDump(file: MappedFile(copying: bytes))
    #expect(overlapping.problems.contains { $0.contains("runs overlap") })
  }

  @Test("32-bit RDMP dumps are reported as unsupported, with the header still read")
  func rdmp32() throws {
    var (bytes, _) = Self.dump32()
    Self.put(8, at: 0xF88, in: &bytes)
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.problems.contains { $0.contains("unsupported: 32-bit") })
    #expect(dump.header.bugCheckCode == 0xD1)
    #expect(dump.context?.instructionPointer != nil)
  }

  @Test("x86: page tables pointing outside memory and a looping module list stop cleanly")
  func hostileTables32() throws {
    let machine = PagingModeTests.machines[2]  // x86 without PAE: 4-byte entries
    let kernel = PagingModeTests.kernel(machine)
    // Point the page directory entry of the module entries at a PFN the dump does not hold.
    var root = kernel.pages[kernel.pml4PFN] ?? []
    let slot = Int(machine.moduleEntries >> 22) * 4
    root.replaceSubrange(slot..<(slot + 4), with: [0x03, 0xF0, 0xFF, 0x7F])
    kernel.setPage(kernel.pml4PFN, root)
    let outside = try KernelDump(
      file: MappedFile(copying: PagingModeTests.writer(machine, .full).bytes(kernel)))
    #expect(outside.modules.isEmpty)
    #expect(outside.problems.contains { $0.contains("module list") })
    #expect(outside.translate(virtual: machine.moduleEntries) == nil)

    // A list whose last entry points back at the first entry instead of the head.
    let looping = PagingModeTests.kernel(machine)
    looping.writePointer(virtual: machine.moduleEntries + 0x400, machine.moduleEntries)
    let dump = try KernelDump(
      file: MappedFile(copying: PagingModeTests.writer(machine, .full).bytes(looping)))
    #expect(dump.modules.count == 3)
    #expect(dump.problems.contains { $0.contains("loops back") })
  }

  @Test("32-bit triage: absurd driver and unloaded counts are refused before allocating")
  func absurdTriage32() throws {
    var writer = TriageDumpWriter()
    writer.header.machine = 0x14C
    writer.modules = PagingModeTests.modules32
    writer.unloaded = [("dam.sys", 0x9C00_0000, 0x9C01_C000)]
    var bytes = writer.bytes()
    let unloadedOffset = Int(bytes[0x1018]) | Int(bytes[0x1019]) << 8 | Int(bytes[0x101A]) << 16
    Self.put(0xFFFF_FFFF, at: 0x1000 + 0x34, in: &bytes)  // DriverCount
    Self.put(0x7FFF_FFFF, at: unloadedOffset, in: &bytes)  // unloaded count
    Self.put(0x7FFF_FFFF, at: 0x1000 + 0x64, in: &bytes)  // DataBlocksCount
    let dump = try KernelDump(file: MappedFile(copying: bytes))
    #expect(dump.modules.isEmpty)
    #expect(dump.unloadedDrivers.isEmpty)
    #expect(dump.problems.contains { $0.contains("0x4c bytes do not fit") })
    #expect(dump.problems.contains { $0.contains("implausible") })
    #expect(dump.problems.contains { $0.contains("triage data blocks") })
  }
}

extension HostileKernelDumpTests {
  @Test("fuzz findings (Tests/FuzzFindings/kernel): every read of the fuzzer, no trap")
  func fuzzFindings() throws {
    let folder = "\(Corpus.packageRoot)/Tests/FuzzFindings/kernel"
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(!names.isEmpty)
    for name in names {
      // The same reads as Fuzz/KernelDumpFuzzer.swift.
      guard let dump = try? KernelDump(path: "\(folder)/\(name)") else { continue }
      for parameter in dump.header.bugCheckParameters {
        _ = dump.module(containing: parameter)
        _ = try? dump.read(virtual: parameter, count: 16)
      }
      if let sp = dump.context?.stackPointer { _ = dump.readPresent(virtual: sp, count: 0x2100) }
      for module in dump.modules.prefix(8) { _ = try? dump.read(virtual: module.base, count: 64) }
    }
    // current-thread-prcb-overflow: a KPRCB pointer near 2^64 plus the KDBG's context offset
    // overflowed; addresses now wrap like the CPU's, and the thread is simply not found.
    let dump = try KernelDump(path: "\(folder)/current-thread-prcb-overflow.dmp")
    #expect(dump.header.is64Bit)
    // bitmap-bits-overflow: a bitmap of 2^64-1 bits; rounding it up to bytes overflowed. Now the
    // size is refused first.
    let bitmap = try KernelDump(path: "\(folder)/bitmap-bits-overflow.dmp")
    #expect(bitmap.problems.contains { $0.contains("does not fit") })
  }
}
