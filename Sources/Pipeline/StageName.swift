/// The stages a user can run by name, in pipeline order. Stages not built yet are absent.
public enum StageName: String, Sendable, CaseIterable {
  case ingest
  case parse
  case symbolize

  /// The per-dump stages of a full run, in order. `symbolPath` (`_NT_SYMBOL_PATH` syntax) feeds
  /// the symbolize stage.
  public static func dumpStages(symbolPath: String? = nil) -> [any DumpStage] {
    [ParseStage(), SymbolizeStage(symbolPath: symbolPath)]
  }

  /// Names of the per-dump stages, in order.
  public static var dumpStageNames: [String] { dumpStages().map(\.name) }
}
