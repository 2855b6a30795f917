import Foundation

/// One version of one file: its inode (device and number), size, and modification and
/// status-change times. A file replaced by a rename has another inode; one rewritten in place
/// has a new ctime, which (unlike mtime) no program can set back. Used to be sure that the file
/// a hash was computed from is still that file when it is placed in the store without being
/// read again.
public struct FileIdentity: Sendable, Equatable {
  public var device: UInt64
  public var inode: UInt64
  public var size: Int64
  /// Nanoseconds since the epoch.
  public var modified: Int64
  public var changed: Int64

  init(_ info: stat) {
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
    size = Int64(info.st_size)
    modified = Int64(info.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_mtim.tv_nsec)
    changed = Int64(info.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(info.st_ctim.tv_nsec)
  }

  /// The file at `path` (through symbolic links), nil when it cannot be stat'ed.
  public init?(path: String) {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    self.init(info)
  }

  /// The open file `fd`.
  public init?(fd: Int32) {
    var info = stat()
    guard fstat(fd, &info) == 0 else { return nil }
    self.init(info)
  }

  /// The same inode with the same size and mtime; ctime may differ (a new hard link changes it).
  func sameContent(as other: FileIdentity) -> Bool {
    device == other.device && inode == other.inode && size == other.size
      && modified == other.modified
  }
}
