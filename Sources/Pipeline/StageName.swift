import Analysis

/// The stages a user can run by name, in pipeline order. Stages not built yet are absent.
public enum StageName: String, Sendable, CaseIterable {
  case ingest
  case parse
  case symbolize
  case bucket

  /// The per-dump stages of a full run, in order. `symbolPath` (`_NT_SYMBOL_PATH` syntax) feeds
  /// the symbolize stage; `allThreads` makes it walk every thread of a minidump; `offline` keeps
  /// it from asking the path's symbol servers.
  public static func dumpStages(
    symbolPath: String? = nil, allThreads: Bool = false, rules: BucketRules = .defaults,
    offline: Bool = false
  ) -> [any DumpStage] {
    [
      ParseStage(),
      SymbolizeStage(symbolPath: symbolPath, allThreads: allThreads, offline: offline),
      BucketStage(rules: rules),
    ]
  }

  /// Names of the per-dump stages, in order.
  public static var dumpStageNames: [String] { dumpStages().map(\.name) }
}
