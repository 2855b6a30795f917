import CrashsiftTestSupport
import Foundation
import Testing

/// The workspace on a tiny tmpfs: ingest must stop with a clear message when the disk fills, and
/// the next run with space must complete with exactly the rows of a clean run.
@Suite("Disk full", .serialized)
struct DiskFullTests {
  @Test(
    "a full disk stops the run with a clear error; with space the next run completes",
    .requires(SmallFilesystem.requirement))
  func diskFull() throws {
    let dir = TemporaryDirectory()
    let small = try SmallFilesystem(dir, size: "2m")
    let mountPoint = small.path
    // Mounted until the test ends, not until the last use of `small`.
    defer { withExtendedLifetime(small) {} }
    // 6 MiB of dumps in 3 archives: more than the filesystem holds.
    for index in 0..<3 {
      try ArchiveFixture.write(
        (0..<20).map {
          .file("d\($0).dmp", FakeDump.minidump(seed: index * 100 + $0, size: 100_000))
        },
        format: .tarZstd, to: dir.file("n/a\(index).tar.zst"))
    }
    let manifest = dir.file("m.json")
    _ = FileManager.default.createFile(
      atPath: manifest,
      contents: Data(#"{"version":1,"batches":[{"date":"2026-11-20","archives":["n/*"]}]}"#.utf8))
    let workspace = "\(mountPoint)/ws"
    let full = try CrashsiftBinary.run([
      "ingest", "--manifest", manifest, "--workspace", workspace, "--quiet",
    ])
    #expect(!full.signaled, "crashed instead of reporting: \(full.stderr)")
    #expect(full.status == 1)
    let message = full.stderr.lowercased()
    #expect(message.contains("no space left") || message.contains("disk is full"), "\(full.stderr)")

    #expect(try small.resize("64m"))
    let again = try CrashsiftBinary.run([
      "ingest", "--manifest", manifest, "--workspace", workspace, "--quiet",
    ])
    #expect(again.status == 0, "\(again.stderr)")
    let reference = dir.file("reference")
    #expect(
      try CrashsiftBinary.run([
        "ingest", "--manifest", manifest, "--workspace", reference, "--quiet",
      ]).status == 0)
    let actual =
      try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite")
      + TemporaryDirectory.files(under: "\(workspace)/dumps")
    let expected =
      try DatabaseSnapshot.lines(databasePath: "\(reference)/crashsift.sqlite")
      + TemporaryDirectory.files(under: "\(reference)/dumps")
    // 60 dumps, 60 occurrences, 3 archives, 3 sources, 60 files.
    #expect(actual.count == 186)
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
    #expect(TemporaryDirectory.files(under: "\(workspace)/tmp").isEmpty)
  }

  @Test(
    "the database fills during the per-dump stages: a clear error; with space the run completes",
    .requires(SmallFilesystem.requirement))
  func databaseFull() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "60", "-o", dir.file("corpus"), "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    let manifest = dir.file("corpus/manifest.json")
    let small = try SmallFilesystem(dir, size: "32m")
    let mountPoint = small.path
    // Mounted until the test ends, not until the last use of `small`.
    defer { withExtendedLifetime(small) {} }
    let workspace = "\(mountPoint)/ws"
    #expect(
      try CrashsiftBinary.run([
        "ingest", "--manifest", manifest, "--workspace", workspace, "--quiet",
      ]).status == 0)
    // Leave the database a few pages: the stages' rows (frames, modules) need far more.
    var info = statvfs()
    #expect(statvfs(mountPoint, &info) == 0)
    let free = Int(info.f_bavail) * Int(info.f_frsize)
    let filler = "\(mountPoint)/filler"
    _ = FileManager.default.createFile(
      atPath: filler, contents: Data(count: max(0, free - 48 * 1024)))
    let full = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace, "--quiet",
    ])
    #expect(!full.signaled, "crashed instead of reporting: \(full.stderr)")
    #expect(full.status == 1, "\(full.stderr)")
    let message = full.stderr.lowercased()
    #expect(
      message.contains("full") || message.contains("no space left"), "\(full.stderr)")

    try FileManager.default.removeItem(atPath: filler)
    let again = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace, "--quiet",
    ])
    #expect(again.status == 0, "\(again.stderr)")
    let reference = dir.file("reference")
    #expect(
      try CrashsiftBinary.run([
        "run", "--manifest", manifest, "--workspace", reference, "--quiet",
      ]).status == 0)
    let actual = try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite")
    let expected = try DatabaseSnapshot.lines(databasePath: "\(reference)/crashsift.sqlite")
    #expect(actual.filter { $0.hasPrefix("buckets|") }.count == 60)
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
    // And the report of the completed run is whole.
    #expect(FileManager.default.fileExists(atPath: "\(workspace)/report/index.html"))
    #expect(!FileManager.default.fileExists(atPath: "\(workspace)/report.partial"))
  }
}

/// A tmpfs of a given size under a test directory, unmounted when released. Mounting needs root
/// (or CAP_SYS_ADMIN), so tests using it carry `.requires(SmallFilesystem.requirement)`.
final class SmallFilesystem {
  let path: String
  private let mount: String
  private let umount: String

  /// Whether a tmpfs can be mounted here, found by mounting a tiny one once per test process.
  static let requirement = Requirement.capability("a tmpfs mount") { probe }

  private static let probe: String? = {
    let dir = TemporaryDirectory("tmpfs-probe")
    do {
      _ = try SmallFilesystem(dir, size: "64k")
      return nil
    } catch {
      return "\(error)"
    }
  }()

  init(_ dir: TemporaryDirectory, size: String) throws {
    path = dir.file("small")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    mount = try Requirement.tool("mount").resolve()
    umount = try Requirement.tool("umount").resolve()
    guard try Tools.run(mount, ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) == 0 else {
      throw Requirement.Missing(
        description: "cannot mount a tmpfs at \(path) (needs root or CAP_SYS_ADMIN)")
    }
  }

  /// Grows (or shrinks) the filesystem in place.
  func resize(_ size: String) throws -> Bool {
    try Tools.run(mount, ["-o", "remount,size=\(size)", path]) == 0
  }

  deinit { _ = try? Tools.run(umount, [path]) }
}
