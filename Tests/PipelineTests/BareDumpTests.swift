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
    // With sources_immutable a hard link is tried first (no new inode, no bytes).
    #expect(counts.values.reduce(0, +) == 2, "\(counts)")
    let store = Workspace(directory: fixture.workspace).storeDirectory
    let source = fixture.scratch.file("n1/PC-2/MEMORY.DMP")
    let sha = try FileHasher.sha256(path: source)
    let placedFile = "\(store)/\(sha.prefix(2))/\(sha).dmp"
    var a = stat()
    var b = stat()
    #expect(stat(source, &a) == 0 && stat(placedFile, &b) == 0)
    #expect(counts["hard_link"] == 2, "\(counts)")
    #expect(a.st_ino == b.st_ino && a.st_dev == b.st_dev)
  }

  @Test("a file replaced or rewritten after it was hashed is not placed under the old hash")
  func changedSinceHashed() throws {
    let scratch = TemporaryDirectory("crashsift-bare")
    let store = try DumpStore(root: scratch.file("store"), temporaryDirectory: scratch.file("tmp"))
    let path = scratch.file("x.dmp")
    let bytes = FakeDump.minidump(seed: 9)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let identity = try #require(FileIdentity(path: path))
    let sha = try FileHasher.sha256(path: path)
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var variants: [FileIdentity] = []
    for change in 0..<4 {
      var other = identity
      switch change {
      case 0: other.modified -= 1
      case 1: other.size += 1
      case 2: other.inode += 1  // renamed over: another inode, size and mtime kept
      default: other.changed -= 1  // rewritten in place, mtime set back: ctime still moved
      }
      variants.append(other)
    }
    for immutable in [false, true] {
      for other in variants {
        #expect(
          try store.place(
            file: fd, sha256: sha, identity: other, immutable: immutable) == nil)
      }
    }
    #expect(!FileManager.default.fileExists(atPath: store.path(sha256: sha)))
    #expect(
      try store.place(file: fd, sha256: sha, identity: identity, immutable: false)
        != nil)
    #expect(FileManager.default.contents(atPath: store.path(sha256: sha)) == Data(bytes))
    #expect(
      try store.place(file: fd, sha256: sha, identity: identity, immutable: true)
        == .alreadyStored)
    #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.file("tmp")).isEmpty)
  }

  @Test("a symbolic link input is stored as its target's bytes, never as a link")
  func symlinkInput() throws {
    let fixture = PipelineFixture()
    let target = fixture.scratch.file("real/a.dmp")
    try Data(FakeDump.minidump(seed: 11)).write(to: URL(fileURLWithPath: target))
    let link = fixture.scratch.file("n1/PC-1/a.dmp")
    try FileManager.default.createSymbolicLink(
      atPath: link, withDestinationPath: "../../real/a.dmp")
    fixture.batches = [("n1", ["n1/*/*"])]
    fixture.sourcesImmutable = true
    let summary = try fixture.run()
    #expect(summary.ingest?.bareDumps.values.reduce(0, +) == 1)
    let sha = try FileHasher.sha256(path: target)
    let stored =
      "\(Workspace(directory: fixture.workspace).storeDirectory)/\(sha.prefix(2))/\(sha).dmp"
    var info = stat()
    #expect(lstat(stored, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
    #expect(try FileHasher.sha256(path: stored) == sha)
  }

  @Test("a tar whose first member is named MDMP… is walked as a tar, not stored as a minidump")
  func tarNamedLikeADump() throws {
    let fixture = PipelineFixture()
    let inner = FakeDump.minidump(seed: 12)
    try fixture.archive("n1/up.tar", format: .tar, [.file("MDMP/crash.dmp", inner)])
    try fixture.archive(
      "n1/up2.tar", format: .tar, [.file("PAGEDU64.dmp", FakeDump.kernel64(seed: 13))])
    fixture.batches = [("n1", ["n1/*"])]
    let summary = try fixture.run()
    #expect(summary.ingest?.bareDumps.isEmpty == true)
    let entries = try fixture.database().read { db in
      try String.fetchAll(db, sql: "SELECT entry_path FROM occurrences ORDER BY 1")
    }
    #expect(entries == ["MDMP/crash.dmp", "PAGEDU64.dmp"])
  }

  /// Writes `size` bytes at `path` as a sparse file holding `extents` (offset, bytes) and
  /// zeros elsewhere; returns the same content as one array.
  static func sparse(_ path: String, size: Int, extents: [(Int, [UInt8])]) throws -> [UInt8] {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    try #require(fd >= 0)
    defer { close(fd) }
    var whole = [UInt8](repeating: 0, count: size)
    for (offset, bytes) in extents {
      #expect(pwrite(fd, bytes, bytes.count, off_t(offset)) == bytes.count)
      whole.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
    #expect(ftruncate(fd, off_t(size)) == 0)
    return whole
  }

  @Test("sparse files: hashed without reading their holes, stored with their holes")
  func sparseFiles() throws {
    let scratch = TemporaryDirectory("crashsift-sparse")
    let mib = 1 << 20
    let data = (0..<(3 * 4096)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let kernel = FakeDump.kernel64(seed: 21, size: 64 * 1024)
    // Leading, inner and trailing holes; data only; only a hole; empty.
    let shapes: [(String, Int, [(Int, [UInt8])])] = [
      ("holes.dmp", 64 * mib, [(0, kernel), (8 * mib, data), (40 * mib + 4096, data)]),
      ("leading.bin", 16 * mib, [(12 * mib, data)]),
      ("dense.bin", 3 * 4096, [(0, data)]),
      ("hole-only.bin", 8 * mib, []),
      ("empty.bin", 0, []),
      ("unaligned.bin", 5 * mib + 123, [(mib + 17, data)]),
    ]
    for (name, size, extents) in shapes {
      let path = scratch.file(name)
      let whole = try Self.sparse(path, size: size, extents: extents)
      // The same bytes written densely: every byte read, no hole to skip.
      let dense = scratch.file("dense-" + name)
      try Data(whole).write(to: URL(fileURLWithPath: dense))
      #expect(try FileHasher.sha256(path: path) == FileHasher.sha256(path: dense), "\(name)")
    }
    // Stored by the copy path (no hard link): the store's file keeps the holes.
    let store = try DumpStore(root: scratch.file("store"), temporaryDirectory: scratch.file("tmp"))
    let path = scratch.file("holes.dmp")
    let sha = try FileHasher.sha256(path: path)
    let identity = try #require(FileIdentity(path: path))
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let placed = try store.place(file: fd, sha256: sha, identity: identity, immutable: false)
    #expect(placed == .copy || placed == .reflink)
    let stored = store.path(sha256: sha)
    #expect(try FileHasher.sha256(path: stored) == sha)
    var source = stat()
    var copy = stat()
    #expect(stat(path, &source) == 0 && stat(stored, &copy) == 0)
    #expect(copy.st_size == 64 * mib)
    // 64 MiB long, about 100 KiB of data: a copy that wrote the zeros would hold 64 MiB.
    #expect(
      Int(copy.st_blocks) * 512 <= max(Int(source.st_blocks) * 512, 1 * mib),
      "\(copy.st_blocks) blocks")
  }

  static func stored(_ fixture: PipelineFixture) throws -> [(String, Int64)] {
    try fixture.database().read { db in
      try Row.fetchAll(db, sql: "SELECT sha256, size FROM dumps").map { ($0[0], $0[1]) }
    }
  }
}
