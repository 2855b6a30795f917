import Checkpoint
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Ingest

@Suite("Nested archives")
struct ArchiveWalkerNestingTests {
  @Test("archives nested three deep are opened, paths joined with !/")
  func nested() throws {
    let harness = WalkHarness()
    let innermost = try ArchiveFixture.bytes(
      [.file("deep/k.dmp", FakeDump.kernel64(seed: 30))], format: .sevenZip,
      scratch: harness.scratch)
    let middle = try ArchiveFixture.bytes(
      [.file("inner.7z", innermost), .file("m.dmp", FakeDump.minidump(seed: 31))], format: .tarXz,
      scratch: harness.scratch)
    let result = try harness.walk(
      [.file("bundle.tar.xz", middle), .file("top.dmp", FakeDump.minidump(seed: 32))], format: .zip)
    #expect(result.outcome.error == nil)
    #expect(
      Set(result.dumps.map(\.entryPath))
        == ["bundle.tar.xz!/inner.7z!/deep/k.dmp", "bundle.tar.xz!/m.dmp", "top.dmp"])
    #expect(result.outcome.formats.contains("7-Zip"))
  }

  @Test("nesting deeper than max_depth is recorded, not opened")
  func depthCap() throws {
    var harness = WalkHarness()
    harness.limits.maxDepth = 1
    let level2 = try ArchiveFixture.bytes(
      [.file("x.dmp", FakeDump.minidump(seed: 40))], format: .zip, scratch: harness.scratch)
    let level1 = try ArchiveFixture.bytes(
      [.file("l2.zip", level2), .file("y.dmp", FakeDump.minidump(seed: 41))], format: .zip,
      scratch: harness.scratch)
    let result = try harness.walk([.file("l1.zip", level1)], format: .zip)
    #expect(result.dumps.map(\.entryPath) == ["l1.zip!/y.dmp"])
    #expect(result.issue("l1.zip!/l2.zip")?.contains("max_depth") == true)
  }

  @Test("a nested archive larger than the in-memory limit is spooled to the workspace and read")
  func spooled() throws {
    var harness = WalkHarness()
    harness.limits.nestedInMemoryBytes = 1024
    let inner = try ArchiveFixture.bytes(
      (0..<5).map { .file("d\($0).dmp", FakeDump.minidump(seed: 50 + $0, size: 3000)) },
      format: .sevenZip,
      scratch: harness.scratch)
    #expect(inner.count > 1024)
    let result = try harness.walk([.file("inner.7z", inner)], format: .tar)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.count == 5)
    // The spool file is gone after the walk.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(result.workspace)/tmp")
    #expect(leftovers.isEmpty)
  }

  @Test("a corrupt nested archive fails the archive but keeps the rest")
  func corruptNested() throws {
    let harness = WalkHarness()
    var inner = try ArchiveFixture.bytes(
      [.file("a.dmp", FakeDump.minidump(seed: 60, size: 100_000))], format: .tarGzip,
      scratch: harness.scratch)
    inner = Array(inner.prefix(inner.count / 2))
    let result = try harness.walk(
      [
        .file("first.dmp", FakeDump.minidump(seed: 61)), .file("broken.tar.gz", inner),
        .file("last.dmp", FakeDump.minidump(seed: 62)),
      ],
      format: .zip)
    #expect(result.outcome.error != nil)
    #expect(result.dumps.map(\.entryPath) == ["first.dmp", "last.dmp"])
    #expect(result.issue("broken.tar.gz")?.contains("nested archive unreadable") == true)
  }
}
