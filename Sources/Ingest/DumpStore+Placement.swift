import CPosix
import Foundation

extension DumpStore {
  /// How a file whose hash was already known entered the store.
  public enum Placement: String, Sendable, CaseIterable, Codable {
    /// The store already held the content.
    case alreadyStored = "already_stored"
    /// A reflink (FICLONE): the store's file shares the source's blocks, copy-on-write.
    case reflink
    /// A hard link: the store's file is the source's inode (only when the manifest says the
    /// sources are never rewritten in place).
    case hardLink = "hard_link"
    /// copy_file_range(2): the kernel copied the bytes (sharing blocks where the filesystem can).
    case copy = "copy_file_range"
  }

  /// Moves a finished temporary file to `<root>/ab/<sha256>.dmp`, or removes it when the store
  /// already holds that content. Returns whether it was already there.
  @discardableResult
  func place(temporary: String, sha256: String) throws(IngestError) -> Bool {
    let final = path(sha256: sha256)
    if access(final, F_OK) == 0 {
      // Already stored (same content from another archive or an earlier run).
      unlink(temporary)
      return true
    }
    do {
      try makeFanOut(sha256)
    } catch {
      unlink(temporary)
      throw error
    }
    if rename(temporary, final) != 0 {
      let message = String(cString: strerror(errno))
      unlink(temporary)
      throw .store("cannot move a dump into \(final): \(message)")
    }
    return false
  }

  private func makeFanOut(_ sha256: String) throws(IngestError) {
    let prefix = sha256.prefix(2)
    if fanOuts.withLock({ $0.contains(prefix) }) { return }
    let folder = "\(root)/\(prefix)"
    if mkdir(folder, 0o755) != 0 && errno != EEXIST {
      throw .store("cannot create \(folder): \(String(cString: strerror(errno)))")
    }
    fanOuts.withLock { _ = $0.insert(prefix) }
  }

  /// Stores the file open as `source`, whose bytes were hashed to `sha256`
  /// while it was `identity`, without reading it through the process: a hard link when
  /// `immutable` (the manifest's promise that sources are never rewritten in place, since the
  /// store then shares their inodes), else a reflink where the source's filesystem makes them,
  /// else copy_file_range. The open file must still be `identity` (same inode, size, mtime and
  /// ctime) before and after, so a file replaced or rewritten since it was hashed is not stored
  /// under the old hash: the result is nil and the caller reads it the ordinary way (hashing as
  /// it copies). The hard link is made from the open file (`/proc/self/fd`), never from the
  /// path, so a symbolic link or a file renamed over the path meanwhile cannot be linked
  /// instead. Durability is the caller's, as for every stored dump (`synchronize()` before the
  /// rows commit).
  public func place(
    file source: Int32, sha256: String, identity: FileIdentity, immutable: Bool
  ) throws(IngestError) -> Placement? {
    guard FileIdentity(fd: source) == identity else { return nil }
    let final = self.path(sha256: sha256)
    if access(final, F_OK) == 0 { return .alreadyStored }

    if immutable {
      // The cheapest: no new inode, no bytes. Refused (another filesystem, no /proc, links not
      // allowed): a reflink or a copy instead.
      let temporary = "\(temporaryDirectory)/link-\(UUID().uuidString)"
      if linkat(AT_FDCWD, "/proc/self/fd/\(source)", AT_FDCWD, temporary, AT_SYMLINK_FOLLOW) == 0 {
        var linked = stat()
        guard lstat(temporary, &linked) == 0, UInt64(linked.st_ino) == identity.inode,
          UInt64(linked.st_dev) == identity.device,
          FileIdentity(fd: source)?.sameContent(as: identity) == true
        else {
          unlink(temporary)
          return nil
        }
        return try place(temporary: temporary, sha256: sha256) ? .alreadyStored : .hardLink
      }
    }
    let (temporary, fd) = try makeTemporaryFile(prefix: "place")
    var closed = false
    defer {
      if !closed { close(fd) }
    }
    var method = Placement.copy
    let refused = reflinkRefused.withLock { $0.contains(identity.device) }
    if !refused, crashsift_reflink(fd, source) == 0 {
      method = .reflink
    } else {
      let error = errno
      if !refused, [EOPNOTSUPP, EINVAL, ENOTTY, EXDEV].contains(error) {
        // Remembered per source filesystem: another one may well make reflinks.
        reflinkRefused.withLock { _ = $0.insert(identity.device) }
      }
      do {
        guard try copyRange(from: source, to: fd, size: identity.size, temporary: temporary) else {
          unlink(temporary)
          return nil
        }
      } catch {
        unlink(temporary)
        throw error
      }
    }
    closed = true
    if close(fd) != 0 {
      let message = String(cString: strerror(errno))
      unlink(temporary)
      throw .store("cannot write \(temporary): \(message)")
    }
    guard FileIdentity(fd: source) == identity else {
      unlink(temporary)
      return nil
    }
    return try place(temporary: temporary, sha256: sha256) ? .alreadyStored : method
  }

  /// Copies the first `size` bytes with copy_file_range, keeping the source's holes: only the
  /// data extents SEEK_DATA/SEEK_HOLE report are copied, and the file is then extended to `size`
  /// (what `cp --sparse=auto` does). A forged or pre-allocated 2 GiB dump with 20 MB of data
  /// otherwise becomes 2 GiB of written zeros in the store. False when the kernel cannot copy
  /// between these files (then the caller reads them itself) or the source ended early.
  private func copyRange(from source: Int32, to destination: Int32, size: Int64, temporary: String)
    throws(IngestError) -> Bool
  {
    var position: Int64 = 0
    while position < size {
      var start = lseek(source, off_t(position), CRASHSIFT_SEEK_DATA)
      if start < 0 {
        // ENXIO: nothing but a hole up to the end. Anything else (a filesystem without
        // SEEK_DATA): copy the rest as one extent.
        if errno == ENXIO { break }
        start = off_t(position)
      }
      guard Int64(start) < size else { break }
      var end = lseek(source, start, CRASHSIFT_SEEK_HOLE)
      if end < 0 || Int64(end) > size { end = off_t(size) }
      guard end > start else { return false }
      guard try copyExtent(source, destination, from: Int64(start), to: Int64(end), temporary)
      else { return false }
      position = Int64(end)
    }
    // The trailing hole, if any: the file's length without its blocks.
    if ftruncate(destination, off_t(size)) != 0 {
      throw .store("cannot extend \(temporary): \(String(cString: strerror(errno)))")
    }
    return true
  }

  /// copy_file_range of bytes [start, end) to the same offsets of `destination`.
  private func copyExtent(
    _ source: Int32, _ destination: Int32, from start: Int64, to end: Int64, _ temporary: String
  ) throws(IngestError) -> Bool {
    var input = off_t(start)
    var output = off_t(start)
    while Int64(input) < end {
      let chunk = Int(min(end - Int64(input), 1 << 30))
      let count = copy_file_range(source, &input, destination, &output, chunk, 0)
      if count < 0 {
        if errno == EINTR { continue }
        if errno == ENOSPC || errno == EDQUOT {
          throw .store(
            "no space left on the device while writing \(temporary); free space and re-run")
        }
        return false
      }
      if count == 0 { return false }
    }
    return true
  }
}
