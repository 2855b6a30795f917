import Analysis
import Foundation

/// Everything needed to build the per-dump stages of a run, as data: a worker process gets the
/// same recipe as its parent and builds identical stages (same versions, same rules, same symbol
/// path), so isolating work in processes never changes a result.
public struct StageRecipe: Codable, Sendable, Equatable {
  /// `_NT_SYMBOL_PATH` syntax for the symbolize stage; nil defers every symbolizable dump.
  public var symbolPath: String?
  /// Walk every thread of a minidump, not only the crashing one.
  public var allThreads: Bool
  /// The bucketing rules file's bytes; nil means the built-in rules.
  public var rules: Data?
  /// Where the rules came from, for error messages.
  public var rulesName: String
  /// Never ask the symbol path's servers (`--offline`): their modules are missing and wait.
  public var offline: Bool

  public init(
    symbolPath: String?, allThreads: Bool, rules: Data? = nil, rulesName: String = "",
    offline: Bool = false
  ) {
    self.symbolPath = symbolPath
    self.allThreads = allThreads
    self.rules = rules
    self.rulesName = rulesName
    self.offline = offline
  }

  /// The stages, in pipeline order.
  public func makeStages() throws -> [any DumpStage] {
    let bucketRules = try rules.map { try BucketRules(data: $0, name: rulesName) } ?? .defaults
    return StageName.dumpStages(
      symbolPath: symbolPath, allThreads: allThreads, rules: bucketRules, offline: offline)
  }
}
