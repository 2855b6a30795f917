import Unwind

/// Sparse little-endian memory for walker tests: only written bytes are present.
struct TestMemory: StackMemory {
  var bytes: [UInt64: UInt8] = [:]

  mutating func put64(_ value: UInt64, at address: UInt64) {
    for index in 0..<8 {
      bytes[address + UInt64(index)] = UInt8((value >> (8 * UInt64(index))) & 0xFF)
    }
  }

  mutating func put32(_ value: UInt32, at address: UInt64) {
    for index in 0..<4 {
      bytes[address + UInt64(index)] = UInt8((value >> (8 * UInt32(index))) & 0xFF)
    }
  }

  mutating func put(_ code: [UInt8], at address: UInt64) {
    for (index, byte) in code.enumerated() { bytes[address + UInt64(index)] = byte }
  }

  func u64(at address: UInt64) -> UInt64? {
    var value: UInt64 = 0
    for index in 0..<8 {
      guard let byte = bytes[address &+ UInt64(index)] else { return nil }
      value |= UInt64(byte) << (8 * UInt64(index))
    }
    return value
  }

  func u32(at address: UInt64) -> UInt32? { u64Part(address, 4).map { UInt32($0) } }

  private func u64Part(_ address: UInt64, _ count: Int) -> UInt64? {
    var value: UInt64 = 0
    for index in 0..<count {
      guard let byte = bytes[address &+ UInt64(index)] else { return nil }
      value |= UInt64(byte) << (8 * UInt64(index))
    }
    return value
  }

  func bytes(at address: UInt64, count: Int) -> [UInt8]? {
    var out: [UInt8] = []
    for index in 0..<count {
      guard let byte = bytes[address &+ UInt64(index)] else { break }
      out.append(byte)
    }
    return out.isEmpty ? nil : out
  }
}
