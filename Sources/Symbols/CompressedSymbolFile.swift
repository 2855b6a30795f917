import ByteReader
import CArchive
import Foundation

/// Expands a symbol store's compressed file (`.pd_`, `.ex_`, `.dl_`, `.sy_`: a one-file CAB,
/// reference/pdb-and-symbols.md §5) with libarchive into a cache folder, once: later lookups reuse
/// the expanded copy.
public enum CompressedSymbolFile {
  /// Largest expanded file accepted: far above real PDBs, low enough that a hostile CAB header
  /// cannot fill the disk.
  public static let maximumSize: Int64 = 4 << 30

  /// The expanded file for `compressed` at `destination`, written there first if missing.
  public static func expand(_ compressed: String, to destination: String) throws(ParseError)
    -> String
  {
    if FileManager.default.fileExists(atPath: destination) { return destination }
    let folder = (destination as NSString).deletingLastPathComponent
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw ParseError(
        folder, "cannot create the symbol cache folder: \(error.localizedDescription)")
    }
    guard let archive = archive_read_new() else {
      throw ParseError(compressed, "libarchive: out of memory")
    }
    defer { archive_read_free(archive) }
    archive_read_support_format_cab(archive)
    guard archive_read_open_filename(archive, compressed, 64 * 1024) == ARCHIVE_OK else {
      throw ParseError(compressed, "not a CAB file: \(message(archive))")
    }
    var entry: OpaquePointer?
    guard archive_read_next_header(archive, &entry) == ARCHIVE_OK else {
      throw ParseError(compressed, "the CAB holds no file: \(message(archive))")
    }
    // Write beside the destination and rename: a killed run never leaves a half file behind
    // under the name later lookups trust.
    let partial = destination + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    guard let output = fopen(partial, "wb") else {
      throw ParseError(partial, "cannot write the expanded symbol file")
    }
    var written: Int64 = 0
    var failure: String?
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    defer { buffer.deallocate() }
    while true {
      let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
      if count == 0 { break }
      if count < 0 {
        failure = "corrupt CAB data: \(message(archive))"
        break
      }
      written += Int64(count)
      if written > maximumSize {
        failure = "expands past \(maximumSize >> 30) GiB"
        break
      }
      if fwrite(buffer.baseAddress, 1, count, output) != count {
        failure = "cannot write the expanded symbol file"
        break
      }
    }
    fclose(output)
    if let failure {
      unlink(partial)
      throw ParseError(compressed, failure)
    }
    guard rename(partial, destination) == 0 else {
      unlink(partial)
      throw ParseError(destination, "cannot move the expanded symbol file into place")
    }
    return destination
  }

  private static func message(_ archive: OpaquePointer) -> String {
    guard let text = archive_error_string(archive) else { return "unknown libarchive error" }
    return String(cString: text)
  }
}
