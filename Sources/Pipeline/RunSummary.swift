import Foundation

/// The outcome of one `crashsift` invocation; printed with `--json` and kept in `runs.summary`.
public struct RunSummary: Sendable, Codable, Equatable {
  public var command: String
  public var workspace: String
  /// `done` (everything processed), `failed` (finished, some items failed).
  public var status: String
  public var ingest: IngestSummary?
  public var stages: [StageSummary] = []
  public var warnings: [String] = []
  /// Why the run stopped before finishing (disk full, database error), if it did.
  public var error: String?
  public var seconds = 0.0

  /// Whether any item failed: the process then exits 1.
  public var hasFailures: Bool {
    (ingest.map { !$0.failures.isEmpty } ?? false) || stages.contains { $0.failed > 0 }
  }

  /// Compact JSON (keys sorted, so the text is stable).
  public func json(pretty: Bool = false) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting =
      pretty
      ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      : [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}
