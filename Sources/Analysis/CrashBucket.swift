/// The `!analyze -v` fields of one crash and its bucket, with the parts of the bucket kept apart
/// (so reports can group by module or function) and every decision explained.
public struct CrashBucket: Codable, Sendable, Equatable {
  /// One frame the followup search passed over, and why.
  public struct Skipped: Codable, Sendable, Equatable {
    public var frame: Int
    public var symbol: String
    public var reason: String
  }

  /// `km` or `um`: the FAILURE_ID_HASH namespace.
  public var mode: String
  /// Bug check code (kernel) or exception code (user), `0x…`.
  public var code: String
  /// Bug check name or exception reason.
  public var codeName: String?
  /// The subtype in the bucket prefix, when the prefix has one (e.g. the first parameter).
  public var subtype: String?
  public var prefix: String
  /// Index of the blamed frame in the stack, nil when no frame could be blamed.
  public var followupFrame: Int?
  /// `module!function+off` or `module+rva`, WinDbg's SYMBOL_NAME.
  public var symbolName: String
  public var moduleName: String
  public var imageName: String
  public var function: String?
  /// BUCKET_ID_FUNC_OFFSET: hex without 0x.
  public var functionOffset: String
  public var failureBucketID: String
  public var failureIDHash: String
  /// Whether the blamed frame was named by symbols (false: `unknown_function`).
  public var symbolized: Bool
  /// How the blamed frame was found (context, trap, cfi, … scan).
  public var trust: String?
  public var skipped: [Skipped]
  public var rulesVersion: String
  /// The Socorro-compatible signature of the same stack, when computed.
  public var socorroSignature: String?
  /// Bug-check parameters or exception parameters, `0x…`.
  public var parameters: [String] = []
  /// The blamed image's TimeDateStamp (`0x…`) and file version, when the dump lists them.
  public var imageTimestamp: String?
  public var imageVersion: String?
  /// PROCESS_NAME, when the dump names it.
  public var processName: String?
  /// The TRAP_FRAME or CONTEXT the stack was walked from: the one the bug check named, or the
  /// trap frame found on the stack that restores its faulting address.
  public var faultContext: Context?

  /// WinDbg's `.trap ADDR` / `.cxr ADDR`.
  public struct Context: Codable, Sendable, Equatable {
    /// `trap` or `cxr`.
    public var kind: String
    public var address: UInt64

    enum CodingKeys: String, CodingKey { case kind, address }

    public init(kind: String, address: UInt64) {
      self.kind = kind
      self.address = address
    }

    // Kernel addresses exceed 2^53: a hex string, as the stack's addresses are.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(kind, forKey: .kind)
      try container.encode("0x" + String(address, radix: 16), forKey: .address)
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      kind = try container.decode(String.self, forKey: .kind)
      let text = try container.decode(String.self, forKey: .address)
      guard text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) else {
        throw DecodingError.dataCorruptedError(
          forKey: .address, in: container, debugDescription: "not a hex address: \(text)")
      }
      address = value
    }
  }
}
