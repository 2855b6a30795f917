import Checkpoint
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Ingest

@Suite("Hostile archives")
struct ArchiveWalkerHostileTests {
  @Test("traversal names, absolute names, links and devices never write outside the store")
  func traversal() throws {
    let harness = WalkHarness()
    let result = try harness.walk(
      [
        .file("../../../../tmp/escape.dmp", FakeDump.minidump(seed: 70)),
        .file("/etc/absolute.dmp", FakeDump.minidump(seed: 71)),
        .symlink("link.dmp", target: "/etc/passwd"),
        .hardlink("hard.dmp", target: "../../../../tmp/escape.dmp"),
        .characterDevice("dev/null.dmp"),
      ], format: .tar)
    // The two real files are stored, by hash, inside the store; names are only recorded.
    #expect(result.dumps.count == 2)
    #expect(
      Set(result.dumps.map(\.entryPath)) == ["../../../../tmp/escape.dmp", "/etc/absolute.dmp"])
    #expect(result.issue("link.dmp")?.contains("symbolic link") == true)
    #expect(result.issue("hard.dmp")?.contains("hard link") == true)
    #expect(result.issue("dev/null.dmp")?.contains("special file") == true)
    #expect(!FileManager.default.fileExists(atPath: "/tmp/escape.dmp"))
    #expect(!FileManager.default.fileExists(atPath: "/etc/absolute.dmp"))
    // Everything written lies under the workspace, named by hash.
    let files = harness.scratch.allFiles().filter { !$0.hasPrefix("fixture-") }
    #expect(files.count == 2)
    for file in files {
      #expect(
        file.range(
          of: #"^out-[^/]+/dumps/[0-9a-f]{2}/[0-9a-f]{64}\.dmp$"#, options: .regularExpression)
          != nil, "\(file)")
    }
  }

  @Test("a file that is neither an archive nor a dump is recorded as such, not silently empty")
  func neitherArchiveNorDump() throws {
    let harness = WalkHarness()
    let junk = harness.scratch.file("upload.zip")
    _ = FileManager.default.createFile(atPath: junk, contents: Data("not a zip at all\n".utf8))
    let result = try harness.walk(junk)
    #expect(result.dumps.isEmpty)
    #expect(result.issues.count == 1)
    #expect(result.issues.first?.1 == "neither an archive nor a crash dump: nothing stored")
    // A real archive of a dump records no issue.
    let gz = harness.scratch.file("crash.dmp.gz")
    try ArchiveFixture.write(
      [.file("crash.dmp", FakeDump.minidump(seed: 5))], format: .tarGzip, to: gz)
    #expect(try harness.walk(gz).issues.isEmpty)
  }

  @Test("an entry over max_entry_bytes is skipped and recorded; the next entry is read")
  func entryCap() throws {
    var harness = WalkHarness()
    harness.limits.maxEntryBytes = 10_000
    let result = try harness.walk(
      [
        .file("big.dmp", FakeDump.minidump(seed: 80, size: 20_000)),
        .file("small.dmp", FakeDump.minidump(seed: 81, size: 5_000)),
      ],
      format: .zip)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.map(\.entryPath) == ["small.dmp"])
    #expect(result.issue("big.dmp")?.contains("max_entry_bytes") == true)
  }

  @Test("a small archive that expands past max_archive_bytes stops with a clear error")
  func expansionCap() throws {
    var harness = WalkHarness()
    harness.limits.maxArchiveBytes = 4 << 20
    harness.limits.maxEntryBytes = 64 << 20
    // 16 MiB of one byte: a few KiB compressed.
    let bomb = Array("MDMP".utf8) + Array(repeating: 0x41, count: 16 << 20)
    let path = harness.scratch.file("bomb.tar.gz")
    try ArchiveFixture.write([.file("bomb.dmp", bomb)], format: .tarGzip, to: path)
    #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0 < 100_000)
    let result = try harness.walk(path)
    #expect(result.outcome.error?.contains("max_archive_bytes") == true)
    #expect(result.dumps.isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: "\(result.workspace)/tmp").isEmpty)
  }

  @Test("the compression-ratio cap stops a bomb below the size caps")
  func ratioCap() throws {
    var harness = WalkHarness()
    harness.limits.maxCompressionRatio = 50
    harness.limits.ratioFloorBytes = 1 << 20
    let bomb = Array("MDMP".utf8) + Array(repeating: 0, count: 32 << 20)
    let path = harness.scratch.file("ratio.zip")
    try ArchiveFixture.write([.file("zeros.dmp", bomb)], format: .zip, to: path)
    let result = try harness.walk(path)
    #expect(result.outcome.error?.contains("max_compression_ratio") == true)
    #expect(result.dumps.isEmpty)
  }

  @Test("nested bombs are judged against the outer file's bytes")
  func nestedBomb() throws {
    var harness = WalkHarness()
    harness.limits.maxArchiveBytes = 8 << 20
    let layer = try ArchiveFixture.bytes(
      [.file("z.dmp", Array("MDMP".utf8) + Array(repeating: 0, count: 6 << 20))], format: .tarXz,
      scratch: harness.scratch)
    let result = try harness.walk((0..<4).map { .file("copy\($0).tar.xz", layer) }, format: .zip)
    #expect(result.outcome.error?.contains("max_archive_bytes") == true)
    #expect(result.dumps.count == 1)
  }

  @Test("max_entries stops an archive of countless entries")
  func entryCount() throws {
    var harness = WalkHarness()
    harness.limits.maxEntries = 10
    let result = try harness.walk((0..<50).map { .file("f\($0).txt", [1, 2, 3]) }, format: .tar)
    #expect(result.outcome.error?.contains("max_entries") == true)
    #expect(result.outcome.entries == 11)
  }

  @Test("a truncated archive fails with libarchive's message and keeps the dumps before the cut")
  func truncated() throws {
    let harness = WalkHarness()
    let full = try ArchiveFixture.bytes(
      (0..<6).map { .file("d\($0).dmp", FakeDump.minidump(seed: 90 + $0, size: 50_000)) },
      format: .tarGzip,
      scratch: harness.scratch)
    let path = harness.scratch.file("cut.tar.gz")
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(full.prefix(full.count * 2 / 3)))
    let result = try harness.walk(path)
    let error = try #require(result.outcome.error)
    #expect(
      error.lowercased().contains("truncated") || error.lowercased().contains("eof")
        || error.contains("unexpected"), "\(error)")
    #expect(result.dumps.count >= 2 && result.dumps.count < 6)
    #expect(result.dumps.map(\.entryPath) == (0..<result.dumps.count).map { "d\($0).dmp" })
    // The partial entry was discarded, not stored.
    #expect(try FileManager.default.contentsOfDirectory(atPath: "\(result.workspace)/tmp").isEmpty)
  }

  @Test("garbage is not an archive: the file is read as one raw entry and skipped")
  func garbage() throws {
    let harness = WalkHarness()
    let path = harness.scratch.file("noise.zip")
    _ = FileManager.default.createFile(
      atPath: path,
      contents: Data(FakeDump.bytes(signature: [0x50, 0x4B, 0x03, 0x04], seed: 1, size: 3000)))
    let result = try harness.walk(path)
    #expect(result.dumps.isEmpty)
    #expect(result.outcome.error != nil)
  }
}
