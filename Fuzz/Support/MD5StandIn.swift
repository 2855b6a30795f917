import Foundation

// Stand-in for swift-crypto's `Insecure.MD5` in the pipeline fuzzer only (module name `Crypto`,
// built together with CryptoStandIn.swift). FAILURE_ID_HASH is an MD5, and the fuzzer checks it
// against the bucket it hashes, so this is real MD5, written from RFC 1321 (§3.1–3.5); linking
// BoringSSL into a hand-built fuzzer is not worth it.
public enum Insecure {
  public enum MD5 {
    /// The 16-byte digest of `data`.
    public static func hash(data: [UInt8]) -> [UInt8] {
      var state: (UInt32, UInt32, UInt32, UInt32) = (
        0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476
      )
      // Padding (§3.1, §3.2): a 1 bit, zeros to 56 mod 64 bytes, the bit length little-endian.
      var message = data
      message.append(0x80)
      while message.count % 64 != 56 { message.append(0) }
      let bits = UInt64(truncatingIfNeeded: data.count) &* 8
      for shift in stride(from: 0, to: 64, by: 8) {
        message.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
      }
      for block in stride(from: 0, to: message.count, by: 64) {
        var words = [UInt32](repeating: 0, count: 16)
        for index in 0..<16 {
          let at = block + index * 4
          words[index] =
            UInt32(message[at]) | UInt32(message[at + 1]) << 8 | UInt32(message[at + 2]) << 16
            | UInt32(message[at + 3]) << 24
        }
        var (a, b, c, d) = state
        for step in 0..<64 {
          let mixed: UInt32
          let word: Int
          switch step {
          case 0..<16: (mixed, word) = ((b & c) | (~b & d), step)
          case 16..<32: (mixed, word) = ((b & d) | (c & ~d), (5 &* step &+ 1) % 16)
          case 32..<48: (mixed, word) = (b ^ c ^ d, (3 &* step &+ 5) % 16)
          default: (mixed, word) = (c ^ (b | ~d), (7 &* step) % 16)
          }
          let sum = a &+ mixed &+ sine[step] &+ words[word]
          let amount = rotations[step / 16][step % 4]
          (a, d, c) = (d, c, b)
          b = b &+ (sum << amount | sum >> (32 - amount))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
      }
      return [state.0, state.1, state.2, state.3].flatMap { word in
        (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * UInt32($0))) }
      }
    }

    /// T[i] of §3.4: the integer part of 2^32 × |sin(i + 1)|, i in radians (doubles hold it
    /// exactly enough: every T[i] of the RFC's table comes out).
    private static let sine: [UInt32] = (1...64).map {
      UInt32(abs(sin(Double($0))) * 4_294_967_296)
    }

    /// The per-round left rotations of §3.4.
    private static let rotations: [[UInt32]] = [
      [7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21],
    ]
  }
}
