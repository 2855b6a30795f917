import KernelDump
import Unwind

/// A kernel dump's virtual memory (pages of a full or bitmap dump, a triage dump's saved stack and
/// data blocks) as the walker reads it.
struct KernelStackMemory: StackMemory {
  let dump: KernelDump

  func u64(at address: UInt64) -> UInt64? { try? dump.u64(virtual: address) }

  func u32(at address: UInt64) -> UInt32? {
    guard let bytes = try? dump.read(virtual: address, count: 4), bytes.count == 4 else {
      return nil
    }
    return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3])
      << 24
  }

  func bytes(at address: UInt64, count: Int) -> [UInt8]? {
    let read = dump.readPresent(virtual: address, count: count)
    // Only the leading present run is usable as code.
    guard !read.bytes.isEmpty else { return nil }
    if let firstMissing = read.missing.first {
      // Missing pages are listed by their start, which may lie below `address`.
      guard firstMissing > address, firstMissing - address < UInt64(read.bytes.count) else {
        return nil
      }
      return Array(read.bytes.prefix(Int(firstMissing - address)))
    }
    return read.bytes
  }
}
