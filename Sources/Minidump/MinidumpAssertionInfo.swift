/// Breakpad's AssertionInfo stream (0x47670002): an invalid-parameter or pure-virtual-call report.
public struct MinidumpAssertionInfo: Sendable, Equatable {
  public var expression: String
  public var function: String
  public var file: String
  public var line: UInt32
  /// 1 invalid parameter, 2 pure virtual call.
  public var type: UInt32

  /// The kind, in words.
  public var typeName: String {
    switch type {
    case 1: return "InvalidParameter"
    case 2: return "PureVirtualCall"
    default: return "Unknown(\(type))"
    }
  }
}

extension MinidumpAssertionInfo {
  /// A Codable summary for reports.
  public struct Summary: Codable, Sendable, Equatable {
    public var expression: String
    public var function: String
    public var file: String
    public var line: UInt32
    public var type: String
  }

  public var summary: Summary {
    Summary(expression: expression, function: function, file: file, line: line, type: typeName)
  }
}
