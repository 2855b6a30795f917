/// A short description of how two line lists differ, for failure messages that stay readable.
public enum LineDiff {
  /// The first few lines only one side has.
  public static func describe(actual: [String], expected: [String], limit: Int = 10) -> String {
    let left = Set(actual)
    let right = Set(expected)
    let onlyActual = actual.filter { !right.contains($0) }.prefix(limit)
    let onlyExpected = expected.filter { !left.contains($0) }.prefix(limit)
    return "only actual: \(Array(onlyActual))\nonly expected: \(Array(onlyExpected))"
  }
}
