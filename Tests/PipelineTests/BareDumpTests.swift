import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Ingest
import Testing

@testable import Pipeline

/// Inputs that are dumps themselves enter the store without being read a second time (the
/// hashing pass already knows their hash): the rows must be exactly the archive walker's, the
/// stored bytes the file's, and a hard link only where the manifest promises immutable sources.
@Suite("bare dumps placed in the store")
struct BareDumpTests {
  /// Bare minidumps and kernel dumps (one at two paths), next to inputs the walker must still
  /// read: a gzip-compressed dump, a zip, and a file that is neither.
  static func corpus(_ fixture: PipelineFixture) throws {
    let files: [(String, [UInt8])] = [
      ("n1/PC-1/a.dmp", FakeDump.minidump(seed: 1)),
      ("n1/PC-2/MEMORY.DMP", FakeDump.kernel64(seed: 2, size: 300_000)),
      ("n1/PC-3/copy-of-a.dmp", FakeDump.minidump(seed: 1)),
      ("n1/PC-4/notes.txt", Array("not a dump".utf8)),
    ]
    for (relative, bytes) in files {
      try Data(bytes).write(to: URL(fileURLWithPath: fixture.scratch.file(relative)))
    }
    try fixture.archive(
      "n1/PC-5/b.dmp.gz", format: .gzipRaw, [.file("b.dmp", FakeDump.minidump(seed: 5))])
    try fixture.archive("n1/PC-6/c.zip", format: .zip, [.file("c.dmp", FakeDump.minidump(seed: 6))])
    fixture.batches = [("n1", ["n1/*/*"])]
  }

  @Test("the rows are the walker's, whether the dumps are placed or streamed")
  func sameRows() throws {
    let fixture = PipelineFixture()
    try Self.corpus(fixture)
    fixture.placeBareDumps = false
    let streamed = try fixture.run()
    let walkerRows = try fixture.snapshot()
    try FileManager.default.removeItem(atPath: fixture.workspace)
    fixture.placeBareDumps = true
    let placed = try fixture.run()
    #expect(try fixture.snapshot() == walkerRows)
    #expect(streamed.ingest?.bareDumps.isEmpty == true)
    // a.dmp and MEMORY.DMP are placed; copy-of-a.dmp is a second source of a.dmp's content.
    let counts = try #require(placed.ingest?.bareDumps)
    #expect(counts.values.reduce(0, +) == 2, "\(counts)")
    #expect(counts["hard_link"] == nil)
    #expect(placed.ingest?.dumpsFound == streamed.ingest?.dumpsFound)
    #expect(placed.ingest?.entriesSkipped == streamed.ingest?.entriesSkipped)
    // Every stored file holds the bytes its name hashes to.
    let store = Workspace(directory: fixture.workspace).storeDirectory
    for (sha, size) in try Self.stored(fixture) {
      let file = "\(store)/\(sha.prefix(2))/\(sha).dmp"
      #expect(IngestStage.fileStat(file)?.size == size)
      #expect(try FileHasher.sha256(path: file) == sha)
    }
  }

  @Test("immutable sources become hard links: the store's file is the source's inode")
  func hardLinks() throws {
    let fixture = PipelineFixture()
    try Self.corpus(fixture)
    fixture.sourcesImmutable = true
    let summary = try fixture.run()
    let counts = try #require(summary.ingest?.bareDumps)
    // ext4 and most filesystems refuse reflinks; on Btrfs or XFS both would be reflinks.
    #expect(counts.values.reduce(0, +) == 2, "\(counts)")
    let store = Workspace(directory: fixture.workspace).storeDirectory
    let source = fixture.scratch.file("n1/PC-2/MEMORY.DMP")
    let sha = try FileHasher.sha256(path: source)
    let placedFile = "\(store)/\(sha.prefix(2))/\(sha).dmp"
    var a = stat()
    var b = stat()
    #expect(stat(source, &a) == 0 && stat(placedFile, &b) == 0)
    if counts["hard_link"] == 2 {
      #expect(a.st_ino == b.st_ino && a.st_dev == b.st_dev)
    } else {
      #expect(counts["reflink"] == 2, "\(counts)")
    }
  }

  @Test("a file rewritten after it was hashed is not placed under the old hash")
  func changedSinceHashed() throws {
    let scratch = TemporaryDirectory("crashsift-bare")
    let store = try DumpStore(root: scratch.file("store"), temporaryDirectory: scratch.file("tmp"))
    let path = scratch.file("x.dmp")
    let bytes = FakeDump.minidump(seed: 9)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let (size, mtime) = try #require(IngestStage.fileStat(path))
    let sha = try FileHasher.sha256(path: path)
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    for immutable in [false, true] {
      #expect(
        try store.place(
          file: fd, path: path, sha256: sha, size: size, mtime: mtime - 1, immutable: immutable)
          == nil)
      #expect(
        try store.place(
          file: fd, path: path, sha256: sha, size: size + 1, mtime: mtime, immutable: immutable)
          == nil)
    }
    #expect(!FileManager.default.fileExists(atPath: store.path(sha256: sha)))
    #expect(
      try store.place(file: fd, path: path, sha256: sha, size: size, mtime: mtime, immutable: false)
        != nil)
    #expect(FileManager.default.contents(atPath: store.path(sha256: sha)) == Data(bytes))
    #expect(
      try store.place(file: fd, path: path, sha256: sha, size: size, mtime: mtime, immutable: true)
        == .alreadyStored)
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("tmp")).isEmpty)
  }

  static func stored(_ fixture: PipelineFixture) throws -> [(String, Int64)] {
    try fixture.database().read { db in
      try Row.fetchAll(db, sql: "SELECT sha256, size FROM dumps").map { ($0[0], $0[1]) }
    }
  }
}
