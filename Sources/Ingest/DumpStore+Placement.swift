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

  /// Stores the file open as `source` (at `path`), whose bytes were hashed to `sha256` when it
  /// had `size` bytes and modification time `mtime` (ns), without reading it through the
  /// process: a hard link when `immutable` (the manifest's promise that sources are never
  /// rewritten in place; otherwise the store would change with them), else a reflink where the
  /// filesystem makes them, else copy_file_range. The file's size and mtime are checked before
  /// and after, so a file rewritten since it was hashed is not stored under the old hash: the
  /// result is nil and the caller reads it the ordinary way (hashing as it copies). Durability
  /// is the caller's, as for every stored dump (`synchronize()` before the rows commit).
  public func place(
    file source: Int32, path: String, sha256: String, size: Int64, mtime: Int64, immutable: Bool
  ) throws(IngestError) -> Placement? {
    func unchanged() -> Bool {
      var info = stat()
      guard fstat(source, &info) == 0 else { return false }
      let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
      return Int64(info.st_size) == size && modified == mtime
    }
    guard unchanged() else { return nil }
    let final = self.path(sha256: sha256)
    if access(final, F_OK) == 0 { return .alreadyStored }

    if immutable {
      // The cheapest: no new inode, no bytes. On another filesystem (EXDEV) or where links are
      // refused, fall through to a reflink or a copy.
      try makeFanOut(sha256)
      let linked = link(path, final) == 0
      let existed = !linked && errno == EEXIST
      if existed { return .alreadyStored }
      if linked {
        guard unchanged() else {
          // Rewritten while it was being linked: the link holds the new bytes, not the hash's.
          unlink(final)
          return nil
        }
        return .hardLink
      }
    }
    let (temporary, fd) = try makeTemporaryFile(prefix: "place")
    var method = Placement.copy
    if !reflinkRefused.load(ordering: .relaxed), crashsift_reflink(fd, source) == 0 {
      method = .reflink
    } else {
      if errno == EOPNOTSUPP || errno == EINVAL || errno == ENOTTY || errno == EXDEV {
        reflinkRefused.store(true, ordering: .relaxed)
      }
      guard try copyRange(from: source, to: fd, size: size, temporary: temporary) else {
        close(fd)
        unlink(temporary)
        return nil
      }
    }
    if close(fd) != 0 {
      unlink(temporary)
      throw .store("cannot write \(temporary): \(String(cString: strerror(errno)))")
    }
    guard unchanged() else {
      unlink(temporary)
      return nil
    }
    return try place(temporary: temporary, sha256: sha256) ? .alreadyStored : method
  }

  /// copy_file_range until `size` bytes are copied; false when the kernel cannot copy between
  /// these files (then the caller reads them itself) or the source ended early.
  private func copyRange(from source: Int32, to destination: Int32, size: Int64, temporary: String)
    throws(IngestError) -> Bool
  {
    var copied: Int64 = 0
    while copied < size {
      let chunk = Int(min(size - copied, 1 << 30))
      let count = copy_file_range(source, nil, destination, nil, chunk, 0)
      if count < 0 {
        if errno == EINTR { continue }
        if errno == ENOSPC || errno == EDQUOT {
          throw .store(
            "no space left on the device while writing \(temporary); free space and re-run")
        }
        return false
      }
      if count == 0 { return false }
      copied += Int64(count)
    }
    return true
  }
}
