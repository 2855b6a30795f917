import CPosix
import Foundation

/// Puts a finished report folder in place of the current one in a single atomic step.
enum ReportSwap {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// `fsync`s every file and folder under `directory` (and `directory` itself), so the swap
  /// never publishes a report whose bytes a power loss could still take back.
  static func flush(directory: String) throws {
    let manager = FileManager.default
    var folders = [directory]
    if let names = manager.enumerator(atPath: directory) {
      for case let name as String in names {
        let path = "\(directory)/\(name)"
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
        if isFolder.boolValue {
          folders.append(path)
        } else {
          try sync(path, flags: O_RDONLY)
        }
      }
    }
    for folder in folders { try sync(folder, flags: O_RDONLY | O_DIRECTORY) }
  }

  /// Makes `staging` the new `folder`. With an existing `folder` the two are exchanged by
  /// `renameat2(RENAME_EXCHANGE)` (afterwards `staging` holds the old report, for the caller to
  /// delete); without one, `staging` is renamed. Filesystems that cannot exchange (EINVAL) fall
  /// back to moving the old report aside first, the only window without a `report/`.
  static func replace(_ folder: String, with staging: String) throws {
    let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
    if FileManager.default.fileExists(atPath: folder) {
      if renameat2(AT_FDCWD, staging, AT_FDCWD, folder, UInt32(CRASHSIFT_RENAME_EXCHANGE)) != 0 {
        guard errno == EINVAL || errno == ENOSYS else {
          throw Failure(description: "cannot swap \(staging) into \(folder): \(errorText())")
        }
        let aside = folder + ".old"
        try FileManager.default.moveItem(atPath: folder, toPath: aside)
        try FileManager.default.moveItem(atPath: staging, toPath: folder)
        try? FileManager.default.removeItem(atPath: aside)
      }
    } else if rename(staging, folder) != 0 {
      throw Failure(description: "cannot move \(staging) to \(folder): \(errorText())")
    }
    try sync(parent.isEmpty ? "." : parent, flags: O_RDONLY | O_DIRECTORY)
  }

  private static func sync(_ path: String, flags: Int32) throws {
    let fd = open(path, flags | O_CLOEXEC)
    guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(errorText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw Failure(description: "cannot flush \(path): \(errorText())") }
  }

  private static func errorText() -> String { String(cString: strerror(errno)) }
}
