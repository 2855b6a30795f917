/// A cap on how many bytes of text one parse may decode.
///
/// Lists of names (modules, handles, exports, drivers) point at strings by offset; a hostile file
/// can point thousands of entries at the same long string, or at overlapping ones, and turn a 1 MB
/// file into gigabytes of decoded text. Each list spends from one budget and fails clearly when it
/// runs out.
public struct DecodeBudget: Sendable {
  public private(set) var remaining: Int

  /// The default allowance for one list: far above any real dump's names.
  public static let listDefault = 64 << 20

  public init(bytes: Int = DecodeBudget.listDefault) { remaining = bytes }

  /// Takes `count` bytes from the budget, or throws naming `what`.
  public mutating func spend(_ count: Int, _ what: @autoclosure () -> String) throws(ParseError) {
    guard count <= remaining else {
      throw ParseError(
        what(),
        "names exceed the \(DecodeBudget.listDefault >> 20) MiB decoding budget (hostile offsets?)")
    }
    remaining -= count
  }
}
