import CArchive
import Foundation

/// A streaming libarchive reader over a file or an owned memory buffer.
///
/// Not thread-safe: one reader is used by one walker on one thread. libarchive reports
/// `ARCHIVE_WARN` for recoverable oddities (treated as success) and refuses a second
/// `archive_read_next_header` after EOF in 3.6.2 (so EOF is latched here).
final class ArchiveReader {
  /// What libarchive says of the current entry.
  struct Entry {
    enum FileType { case regular, directory, symlink, hardlink, other(UInt32) }
    var path: String
    var type: FileType
    /// The declared size, when the format records one (zip streaming entries may not).
    var declaredSize: Int64?
    var mtime: Int64?
    var linkTarget: String?
  }

  // AE_IFREG, AE_IFDIR, AE_IFLNK from archive_entry.h (cast macros do not import into Swift).
  private static let regularFile: UInt32 = 0o100000
  private static let directoryFile: UInt32 = 0o040000
  private static let symbolicLink: UInt32 = 0o120000

  private let handle: OpaquePointer
  private var memory: UnsafeMutableRawBufferPointer?
  private var atEOF = false

  /// Opens `path` (a regular file) for reading.
  init(path: String, blockSize: Int = 256 * 1024) throws(IngestError) {
    guard let handle = archive_read_new() else { throw .archive("libarchive: out of memory") }
    self.handle = handle
    Self.enableAllFormats(handle)
    // Every stored property is set by now, so a throw below runs deinit, which frees the handle.
    if archive_read_open_filename(handle, path, blockSize) != ARCHIVE_OK {
      throw .archive(Self.errorString(handle))
    }
  }

  /// Opens a copy of `bytes`; libarchive keeps the pointer, so the copy lives as long as `self`.
  init(copying bytes: UnsafeRawBufferPointer) throws(IngestError) {
    guard let handle = archive_read_new() else { throw .archive("libarchive: out of memory") }
    self.handle = handle
    Self.enableAllFormats(handle)
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: max(bytes.count, 1), alignment: 16)
    buffer.copyMemory(from: bytes)
    memory = buffer
    // A throw below runs deinit, which frees both the handle and the buffer.
    if archive_read_open_memory(handle, buffer.baseAddress, bytes.count) != ARCHIVE_OK {
      throw .archive(Self.errorString(handle))
    }
  }

  deinit {
    archive_read_free(handle)
    memory?.deallocate()
  }

  private static func enableAllFormats(_ handle: OpaquePointer) {
    archive_read_support_filter_all(handle)
    archive_read_support_format_all(handle)
    // A lone compressed file (MEMORY.DMP.gz) or a bare dump reads as one entry named "data".
    archive_read_support_format_raw(handle)
  }

  private static func errorString(_ handle: OpaquePointer) -> String {
    guard let cString = archive_error_string(handle) else { return "unknown libarchive error" }
    return String(cString: cString)
  }

  /// The last error libarchive reported for this handle.
  var lastError: String { Self.errorString(handle) }

  /// Bytes consumed from the underlying file or buffer (before decompression).
  var rawBytesConsumed: Int64 { archive_filter_bytes(handle, -1) }

  /// `true` when libarchive fell back to the raw format (a single compressed or plain stream).
  var isRaw: Bool { archive_format(handle) == ARCHIVE_FORMAT_RAW }

  /// The format and filter chain, e.g. `POSIX ustar format / gzip`.
  var formatDescription: String {
    var parts: [String] = []
    if let name = archive_format_name(handle) { parts.append(String(cString: name)) }
    let filters = archive_filter_count(handle)
    var names: [String] = []
    if filters > 0 {
      for index in 0..<filters {
        if let name = archive_filter_name(handle, index), String(cString: name) != "none" {
          names.append(String(cString: name))
        }
      }
    }
    if !names.isEmpty { parts.append(names.joined(separator: "+")) }
    return parts.joined(separator: " / ")
  }

  /// Advances to the next entry; `nil` at the end of the archive.
  func nextEntry() throws(IngestError) -> Entry? {
    if atEOF { return nil }
    var entryPointer: OpaquePointer?
    var status = archive_read_next_header(handle, &entryPointer)
    var retries = 0
    while status == ARCHIVE_RETRY && retries < 3 {
      retries += 1
      status = archive_read_next_header(handle, &entryPointer)
    }
    if status == ARCHIVE_EOF {
      atEOF = true
      return nil
    }
    guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry = entryPointer else {
      atEOF = true
      throw .archive(lastError)
    }
    let path = Self.decodePath(entry)
    let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
    let symlink = archive_entry_symlink(entry).map { String(cString: $0) }
    let mode = UInt32(archive_entry_filetype(entry))
    let type: Entry.FileType
    if hardlink != nil {
      type = .hardlink
    } else if mode == Self.regularFile {
      type = .regular
    } else if mode == Self.directoryFile {
      type = .directory
    } else if mode == Self.symbolicLink {
      type = .symlink
    } else {
      type = .other(mode)
    }
    let size: Int64? = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
    let mtime: Int64? =
      archive_entry_mtime_is_set(entry) != 0 ? Int64(archive_entry_mtime(entry)) : nil
    return Entry(
      path: path, type: type, declaredSize: size, mtime: mtime, linkTarget: hardlink ?? symlink)
  }

  private static func decodePath(_ entry: OpaquePointer) -> String {
    if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
    if let raw = archive_entry_pathname(entry) {
      // Not decodable in the current locale: keep the bytes visible rather than drop the entry.
      return String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
    }
    return "(unnamed entry)"
  }

  /// Reads up to `buffer.count` bytes of the current entry's data; 0 at the end of the entry.
  ///
  /// Throws `.entry` when only this entry is unreadable (the archive can go on) and `.archive`
  /// when the archive itself cannot be read further.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws(IngestError) -> Int {
    var retries = 0
    while true {
      let count = archive_read_data(handle, buffer.baseAddress, buffer.count)
      if count >= 0 { return count }
      if count == ARCHIVE_RETRY && retries < 3 {
        retries += 1
        continue
      }
      if count == ARCHIVE_WARN { return 0 }
      if count == ARCHIVE_FAILED { throw .entry(lastError) }
      atEOF = true
      throw .archive(lastError)
    }
  }
}
