import Checkpoint
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Ingest

@Suite("Archive formats")
struct ArchiveWalkerFormatTests {
  static let writable: [ArchiveFixture.Format] = [
    .zip, .tar, .tarGzip, .tarBzip2, .tarXz, .tarZstd, .sevenZip,
  ]

  @Test(
    "every writable format yields its dumps, by signature, with exact content", arguments: writable)
  func formats(format: ArchiveFixture.Format) throws {
    let harness = WalkHarness()
    let mini = FakeDump.minidump(seed: 1)
    let kernel = FakeDump.kernel64(seed: 2)
    let kernel32 = FakeDump.kernel32(seed: 3)
    let result = try harness.walk(
      [
        .directory("crashes/"),
        .file("crashes/app.dmp", mini),
        // Named like nothing in particular: found by signature, not extension.
        .file("crashes/MEMORY.bin", kernel),
        .file("crashes/old.sys.crash", kernel32),
        .file("crashes/notes.txt", Array("not a dump".utf8)),
      ], format: format)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.count == 3)
    #expect(result.dump("app.dmp")?.kind == .minidump)
    #expect(result.dump("MEMORY.bin")?.kind == .kernel64)
    #expect(result.dump("old.sys.crash")?.kind == .kernel32)
    #expect(result.outcome.skipped == 1)
    let expected = try sha256(mini, scratch: harness.scratch)
    let stored = try #require(result.dump("app.dmp"))
    #expect(stored.sha256 == expected)
    #expect(stored.size == Int64(mini.count))
    let content = FileManager.default.contents(
      atPath: "\(result.storeRoot)/\(DumpStore.relativePath(sha256: expected))")
    #expect(content.map { [UInt8]($0) } == mini)
  }

  @Test("a cab made by gcab is read", .requires(.tool("gcab")))
  func cab() throws {
    let harness = WalkHarness()
    let path = harness.scratch.file("upload.cab")
    let dump = FakeDump.minidump(seed: 9)
    try ArchiveFixture.writeCab(files: [("M-1/app.dmp", dump)], to: path, scratch: harness.scratch)
    let result = try harness.walk(path)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.map(\.kind) == [.minidump])
    #expect(result.outcome.formats.hasPrefix("CAB"))
  }

  @Test("a lone gzip-compressed dump is named after its file")
  func lonelyGzip() throws {
    let harness = WalkHarness()
    let path = harness.scratch.file("MEMORY.DMP.gz")
    try ArchiveFixture.write(
      [.file("data", FakeDump.kernel64(seed: 4))], format: .gzipRaw, to: path)
    let result = try harness.walk(path)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.map(\.entryPath) == ["MEMORY.DMP"])
    #expect(result.dumps.first?.kind == .kernel64)
  }

  @Test("a bare dump file is ingested as itself")
  func bareDump() throws {
    let harness = WalkHarness()
    let path = harness.scratch.file("crash.mdmp")
    _ = FileManager.default.createFile(atPath: path, contents: Data(FakeDump.minidump(seed: 5)))
    let result = try harness.walk(path)
    #expect(result.dumps.map(\.kind) == [.minidump])
  }

  @Test("a file named .dmp without a signature is kept as unknown for the parse stage to report")
  func unknownDump() throws {
    let result = try WalkHarness().walk(
      [
        .file("broken.dmp", Array(repeating: 0, count: 100)),
        .file("zeros.bin", Array(repeating: 0, count: 100)),
      ],
      format: .zip)
    #expect(result.dumps.map(\.kind) == [.unknown])
    #expect(result.dumps.map(\.entryPath) == ["broken.dmp"])
  }

  @Test("two entries with the same name are both recorded")
  func duplicateNames() throws {
    let result = try WalkHarness().walk(
      [.file("a.dmp", FakeDump.minidump(seed: 1)), .file("a.dmp", FakeDump.minidump(seed: 2))],
      format: .tar)
    #expect(result.dumps.map(\.entryPath) == ["a.dmp", "a.dmp (#2)"])
  }
}
