/// The stages a user can run by name, in pipeline order. Stages not built yet are absent.
public enum StageName: String, Sendable, CaseIterable {
  case ingest
  case parse

  /// The per-dump stages of a full run, in order.
  public static func dumpStages() -> [any DumpStage] { [ParseStage()] }

  /// Names of the per-dump stages, in order.
  public static var dumpStageNames: [String] { dumpStages().map(\.name) }
}
