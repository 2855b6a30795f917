import CArchive
import Foundation

/// Writes test archives with libarchive's writer, so every format is produced by a real
/// implementation rather than by hand-assembled bytes.
public enum ArchiveFixture {
  /// One entry to write.
  public enum Entry {
    case file(String, [UInt8])
    case directory(String)
    case symlink(String, target: String)
    case hardlink(String, target: String)
    case characterDevice(String)
  }

  /// Archive formats and compression filters.
  public enum Format: String, CaseIterable, Sendable {
    case zip, tar, tarGzip = "tar.gz", tarBzip2 = "tar.bz2", tarXz = "tar.xz"
    case tarZstd = "tar.zst", sevenZip = "7z", gzipRaw = "gz"
  }

  public struct WriteError: Error, CustomStringConvertible {
    public var description: String
  }

  /// Writes `entries` as `format` to `path`.
  public static func write(_ entries: [Entry], format: Format, to path: String) throws {
    guard let archive = archive_write_new() else {
      throw WriteError(description: "archive_write_new")
    }
    defer { archive_write_free(archive) }
    var status: Int32
    switch format {
    case .zip: status = archive_write_set_format_zip(archive)
    case .sevenZip: status = archive_write_set_format_7zip(archive)
    case .gzipRaw: status = archive_write_set_format_raw(archive)
    default: status = archive_write_set_format_pax_restricted(archive)
    }
    try check(status, archive)
    switch format {
    case .tarGzip, .gzipRaw: status = archive_write_add_filter_gzip(archive)
    case .tarBzip2: status = archive_write_add_filter_bzip2(archive)
    case .tarXz: status = archive_write_add_filter_xz(archive)
    case .tarZstd: status = archive_write_add_filter_zstd(archive)
    default: status = ARCHIVE_OK
    }
    try check(status, archive)
    try check(archive_write_open_filename(archive, path), archive)
    for item in entries {
      guard let entry = archive_entry_new() else {
        throw WriteError(description: "archive_entry_new")
      }
      defer { archive_entry_free(entry) }
      archive_entry_set_mtime(entry, 1_795_147_200, 0)
      switch item {
      case .file(let name, let bytes):
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, Int64(bytes.count))
        try check(archive_write_header(archive, entry), archive)
        let written = bytes.withUnsafeBytes {
          archive_write_data(archive, $0.baseAddress, $0.count)
        }
        guard written == bytes.count else {
          throw WriteError(
            description: "short write: \(String(cString: archive_error_string(archive)))")
        }
      case .directory(let name):
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, 0o040000)
        archive_entry_set_perm(entry, 0o755)
        try check(archive_write_header(archive, entry), archive)
      case .symlink(let name, let target):
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, 0o120000)
        archive_entry_set_perm(entry, 0o777)
        archive_entry_set_symlink(entry, target)
        try check(archive_write_header(archive, entry), archive)
      case .hardlink(let name, let target):
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_hardlink(entry, target)
        archive_entry_set_size(entry, 0)
        try check(archive_write_header(archive, entry), archive)
      case .characterDevice(let name):
        archive_entry_set_pathname(entry, name)
        archive_entry_set_filetype(entry, 0o020000)
        archive_entry_set_perm(entry, 0o600)
        archive_entry_set_rdev(entry, 0x0103)
        try check(archive_write_header(archive, entry), archive)
      }
    }
    try check(archive_write_close(archive), archive)
  }

  /// The bytes of an archive holding `entries`.
  public static func bytes(_ entries: [Entry], format: Format, scratch: TemporaryDirectory) throws
    -> [UInt8]
  {
    let path = scratch.file("scratch-\(UUID().uuidString).\(format.rawValue)")
    try write(entries, format: format, to: path)
    defer { try? FileManager.default.removeItem(atPath: path) }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WriteError(description: "cannot read back \(path)")
    }
    return [UInt8](data)
  }

  private static func check(_ status: Int32, _ archive: OpaquePointer) throws {
    guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
      let message = archive_error_string(archive).map { String(cString: $0) } ?? "status \(status)"
      throw WriteError(description: message)
    }
  }

  /// Builds a .cab with gcab (libarchive reads cab but cannot write it); throws naming gcab when
  /// it is missing, so callers carry `.requires(.tool("gcab"))` (`.ci/run` installs it).
  public static func writeCab(
    files: [(String, [UInt8])], to path: String, scratch: TemporaryDirectory
  ) throws {
    let gcab = try Requirement.tool("gcab").resolve()
    let staging = scratch.file("cab-staging-\(UUID().uuidString)")
    for (name, bytes) in files {
      let file = "\(staging)/\(name)"
      try FileManager.default.createDirectory(
        atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      _ = FileManager.default.createFile(atPath: file, contents: Data(bytes))
    }
    let status = try Tools.run(gcab, ["-c", "-z", path] + files.map(\.0), in: staging)
    guard status == 0 else { throw WriteError(description: "gcab exited \(status)") }
  }
}
