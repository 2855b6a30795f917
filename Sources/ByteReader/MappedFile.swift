import Foundation

/// A read-only memory mapping of a whole file (or an owned copy of bytes, for tests and buffers).
///
/// Mapping touches no page until it is read: opening a 450 MB dump costs a few system calls, and
/// only the pages a parser reads are ever loaded. A file of at most `readLimit` bytes is read
/// into memory instead: for a 64 KB minidump, mmap and munmap (whose TLB shootdown interrupts
/// every other thread of a multi-threaded worker) cost more than one pread from the page cache.
/// The memory is never written after creation, which is why instances can be shared across
/// threads.
public final class MappedFile: @unchecked Sendable {
  /// The mapped bytes.
  public let bytes: UnsafeRawBufferPointer
  private let unmap: Bool
  /// The file path, or a label for in-memory data.
  public let path: String

  /// Files up to this size are read, not mapped (at most glibc's initial mmap threshold, so
  /// the buffer itself comes from the heap, not from another mapping).
  public static let readLimit = 128 * 1024

  /// Maps `path` read-only (reads it, when it is at most `readLimit` bytes).
  public init(path: String) throws(ParseError) {
    self.path = path
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      throw ParseError(path, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ParseError(path, "cannot stat: \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw ParseError(path, "not a regular file") }
    let size = Int(info.st_size)
    if size == 0 {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      unmap = false
      return
    }
    if size <= Self.readLimit {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
      var filled = 0
      while filled < size {
        let count = pread(fd, buffer.baseAddress.map { $0 + filled }, size - filled, off_t(filled))
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else {
          let reason = count < 0 ? String(cString: strerror(errno)) : "the file shrank while read"
          buffer.deallocate()
          throw ParseError(path, "cannot read: \(reason)")
        }
        filled += count
      }
      bytes = UnsafeRawBufferPointer(buffer)
      unmap = false
      return
    }
    guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED
    else {
      throw ParseError(path, "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
    unmap = true
  }

  /// Holds a copy of `data` (tests, small buffers).
  public init(copying data: some Collection<UInt8>, label: String = "(memory)") {
    path = label
    let buffer = UnsafeMutableRawBufferPointer.allocate(
      byteCount: max(data.count, 1), alignment: 16)
    // One memcpy for arrays and buffers; the element-wise path is for other collections only.
    let copied = data.withContiguousStorageIfAvailable {
      buffer.copyMemory(from: UnsafeRawBufferPointer($0))
    }
    if copied == nil { _ = buffer.initializeMemory(as: UInt8.self, from: data) }
    bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<data.count])
    unmap = false
  }

  /// Holds `count` bytes that `fill` initializes (all of them), without an intermediate copy.
  public init(filling count: Int, label: String, _ fill: (UnsafeMutableRawBufferPointer) -> Void) {
    let count = max(count, 0)
    path = label
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
    let used = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
    fill(used)
    bytes = UnsafeRawBufferPointer(used)
    unmap = false
  }

  deinit {
    if unmap, let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    } else if !unmap, let base = bytes.baseAddress {
      UnsafeMutableRawPointer(mutating: base).deallocate()
    }
  }

  /// Gives the pages of a mapped file back to the kernel (`MADV_DONTNEED`); the next read of
  /// them faults them in again from the page cache, with the same bytes, since the mapping is
  /// private and never written. For a reader that passes once over a file much larger than what
  /// it keeps (a PDB's module streams), this bounds its resident memory by what it has read
  /// since the last call rather than by the file. Does nothing for bytes held in memory.
  public func dropResidentPages() {
    guard unmap, let base = bytes.baseAddress else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base), bytes.count, MADV_DONTNEED)
  }

  /// A reader over the whole file.
  public var reader: ByteReader { ByteReader(file: self) }
}
