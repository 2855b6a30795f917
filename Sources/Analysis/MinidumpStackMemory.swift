import Minidump
import Unwind

/// A minidump's captured memory as the walker reads it.
struct MinidumpStackMemory: StackMemory {
  let memory: MinidumpMemoryList

  func u64(at address: UInt64) -> UInt64? { try? memory.u64(at: address) }
  func u32(at address: UInt64) -> UInt32? { try? memory.u32(at: address) }

  func bytes(at address: UInt64, count: Int) -> [UInt8]? {
    guard let range = memory.range(containing: address) else { return nil }
    let available = min(UInt64(count), range.end - address)
    return try? memory.read(address: address, count: Int(available))
  }
}
