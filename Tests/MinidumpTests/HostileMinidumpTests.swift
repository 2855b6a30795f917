import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Minidump

/// Bad input: every accessor either returns or throws a `ParseError`; nothing traps or hangs.
@Suite("Hostile minidumps")
struct HostileMinidumpTests {
  /// Calls every accessor, collecting the errors.
  static func exercise(_ dump: Minidump) -> [String] {
    var errors: [String] = []
    func run(_ body: () throws -> Void) {
      do { try body() } catch { errors.append("\(error)") }
    }
    run { _ = try dump.systemInfo() }
    run { _ = try dump.threads() }
    run { _ = try dump.threadNames() }
    run { _ = try dump.modules() }
    run { _ = try dump.unloadedModules() }
    run { _ = try dump.exception() }
    run { _ = try dump.crashReason() }
    run {
      let memory = try dump.memory()
      for range in memory.ranges.prefix(8) { _ = try? memory.read(address: range.start, count: 16) }
    }
    run { _ = try dump.miscInfo() }
    run { _ = try dump.breakpadInfo() }
    run { _ = try dump.assertionInfo() }
    run { _ = try dump.crashpadInfo() }
    run { _ = try dump.memoryInfo() }
    run { _ = try dump.threadInfo() }
    run { _ = try dump.handles() }
    _ = dump.uninterpretedStreams
    return errors
  }

  @Test(
    "invalid-range and invalid-record-count: the header parses, bad streams fail clearly",
    .requires(.corpus))
  func rustMinidumpInvalid() throws {
    let root = try MinidumpCorpus.root()
    for name in ["invalid-range.dmp", "invalid-record-count.dmp"] {
      let dump = try Minidump(path: "\(root)/rust-minidump/testdata/\(name)")
      #expect(dump.header.streamCount > 0)
      let problems = dump.directoryProblems
      #expect(!problems.isEmpty, "\(name) has streams outside the file that must be reported")
      #expect(
        problems.allSatisfy {
          $0.description.contains("stream at offset 0x")
            && $0.description.contains("the data ends at")
        }, "\(problems)")
      // Reading everything else is still safe.
      _ = Self.exercise(dump)
    }
  }

  @Test("minidump2.dmp cut at every 64-byte boundary: errors, never a crash", .requires(.corpus))
  func truncations() throws {
    let path = try MinidumpCorpus.path("\(MinidumpCorpus.breakpad)/minidump2.dmp")
    let data = try #require(FileManager.default.contents(atPath: path), "\(path)")
    let bytes = [UInt8](data)
    var opened = 0
    for length in stride(from: 0, through: bytes.count, by: 64) {
      let file = MappedFile(copying: bytes[0..<length])
      guard let dump = try? Minidump(file: file) else { continue }
      opened += 1
      _ = Self.exercise(dump)
    }
    #expect(opened > 100)
  }

  @Test(
    "seeded random corruption of every corpus minidump: errors, never a crash",
    .requires(.corpus))
  func corruption() throws {
    var generator = SplitMix64(seed: 0x5EED)
    var files = 0
    var opened = 0
    var rejected = 0
    var accessorErrors = 0
    var cleanAccessors = 0
    for relative in try MinidumpCorpus.allDumps() {
      let path = try MinidumpCorpus.path(relative)
      guard let data = FileManager.default.contents(atPath: path), data.count > 64 else {
        continue
      }
      files += 1
      let original = [UInt8](data)
      for mutant in 0..<40 {
        var bytes = original
        // Overwrite a few 4-byte fields in the first 4 KiB (headers, directory, stream heads)
        // with boundary values, and flip random bits elsewhere.
        for _ in 0..<4 {
          let offset = Int(generator.next() % UInt64(min(bytes.count - 4, 4096)))
          let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0x10000][
            Int(generator.next() % 6)]
          withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
        }
        for _ in 0..<8 {
          let offset = Int(generator.next() % UInt64(bytes.count))
          bytes[offset] ^= UInt8(1 << (generator.next() % 8))
        }
        let name = "\(relative) mutant \(mutant)"
        let dump: Minidump
        do {
          dump = try Minidump(file: MappedFile(copying: bytes))
        } catch {
          rejected += 1
          #expect(!error.reason.isEmpty && !error.context.isEmpty, "\(name): \(error)")
          continue
        }
        opened += 1
        // What the header check must catch, whatever else the mutation hit.
        #expect(bytes.starts(with: Array("MDMP".utf8)), "\(name) opened without its signature")
        let count = Int(dump.header.streamCount)
        let start = Int(dump.header.streamDirectoryRVA)
        #expect(start + count * 12 <= bytes.count, "\(name) opened with its directory outside")
        // A stream lying outside the file is reported, not read.
        for entry in dump.directory
        where entry.type != .unused
          && UInt64(entry.rva) + UInt64(entry.dataSize) > UInt64(bytes.count)
        {
          #expect(
            dump.directoryProblems.contains { $0.context.contains(entry.type.name) },
            "\(name): \(entry.type.name) stream outside the file is not reported")
        }
        let errors = Self.exercise(dump)
        #expect(errors.allSatisfy { !$0.isEmpty }, "\(name)")
        accessorErrors += errors.count
        cleanAccessors += errors.isEmpty ? 1 : 0
      }
    }
    #expect(files >= 20, "only \(files) corpus minidumps were mutated")
    #expect(opened + rejected == files * 40)
    // Mutations confined to the first 4 KiB with boundary values must be caught often, and yet
    // most mutants keep a readable header: a parser that accepted everything, or one that
    // refused every imperfect file, fails here.
    #expect(rejected >= files * 2, "only \(rejected) of \(files * 40) mutants were refused")
    #expect(opened >= files * 20, "only \(opened) of \(files * 40) mutants opened")
    #expect(accessorErrors >= opened / 8, "\(accessorErrors) accessor errors in \(opened) mutants")
    #expect(cleanAccessors > 0, "no opened mutant could be read without an error")
  }

  @Test("a count that claims more entries than the file holds is refused before allocating")
  func hugeCount() throws {
    // Header + a directory with one ThreadList stream whose count is 0xffffffff.
    var bytes = [UInt8](repeating: 0, count: 64)
    func put(_ value: UInt32, at offset: Int) {
      withUnsafeBytes(of: value.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }
    put(0x504D_444D, at: 0)
    put(0xA793, at: 4)
    put(1, at: 8)
    put(32, at: 12)
    put(3, at: 32)
    put(8, at: 36)
    put(44, at: 40)
    put(0xFFFF_FFFF, at: 44)
    let dump = try Minidump(file: MappedFile(copying: bytes))
    #expect(throws: ParseError.self) { try dump.threads() }
    do {
      _ = try dump.threads()
    } catch {
      #expect(error.description.contains("count 4294967295 × 48 bytes does not fit"))
    }
  }
}
