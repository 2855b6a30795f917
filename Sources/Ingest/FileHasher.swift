import CPosix
import Crypto
import Foundation

/// SHA-256 of a whole file, streamed in 1 MiB reads. A sparse file's holes are hashed as the
/// zeros they read as, without reading them (SEEK_DATA/SEEK_HOLE): a forged or pre-allocated
/// 2 GiB dump with 20 MB of data costs the hash of 2 GiB but only 20 MB of reads.
public enum FileHasher {
  /// Bytes read (and zeros hashed) at a time.
  static let readSize = 1 << 20

  /// Hashes the file at `path`; lower-case hex.
  public static func sha256(path: String) throws(IngestError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    // No larger than the file: the executables return blocks of 1 MiB and more to the kernel
    // when freed (`crashsift_return_large_blocks_when_freed`), so a 1 MiB buffer per file was
    // an mmap, 256 page faults and an munmap (a TLB shootdown on every core) per dump: 58% of
    // an ingest's time was in the kernel at 100,000 small dumps.
    var info = stat()
    let size = fstat(fd, &info) == 0 ? Int64(info.st_size) : Int64(1 << 20)
    let capacity = Int(max(4096, min(Int64(Self.readSize), size)))
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
    defer { buffer.deallocate() }
    var zeros: UnsafeMutableRawBufferPointer?
    defer { zeros?.deallocate() }
    var hasher = SHA256()
    func hashZeros(_ length: Int64) {
      guard length > 0 else { return }
      let block: UnsafeMutableRawBufferPointer
      if let zeros {
        block = zeros
      } else {
        block = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        block.initializeMemory(as: UInt8.self, repeating: 0)
        zeros = block
      }
      var left = length
      while left > 0 {
        let count = Int(min(left, Int64(block.count)))
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[0..<count]))
        left -= Int64(count)
      }
    }
    var position: Int64 = 0
    while true {
      // The next data extent: [start, end), end nil meaning "to the end of the file".
      let start: Int64
      var end: Int64?
      let data = lseek(fd, off_t(position), CRASHSIFT_SEEK_DATA)
      if data >= 0 {
        start = Int64(data)
        let hole = lseek(fd, data, CRASHSIFT_SEEK_HOLE)
        if hole > data { end = Int64(hole) }
      } else if errno == ENXIO {
        // Only a hole from here to the end of the file.
        var info = stat()
        guard fstat(fd, &info) == 0 else {
          throw .io("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        hashZeros(Int64(info.st_size) - position)
        break
      } else {
        // No SEEK_DATA on this filesystem: read everything.
        start = position
      }
      hashZeros(start - position)
      position = start
      var ended = false
      while end.map({ position < $0 }) ?? true {
        let want = Int(min(Int64(buffer.count), (end ?? Int64.max) - position))
        let count = pread(fd, buffer.baseAddress, want, off_t(position))
        if count < 0 {
          if errno == EINTR { continue }
          throw .io("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        if count == 0 {
          ended = true
          break
        }
        hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        position += Int64(count)
      }
      if ended || end == nil { break }
    }
    return HexDigest.string(hasher.finalize())
  }
}
