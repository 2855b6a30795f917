import Analysis
import Checkpoint
import Interface
import Pipeline

extension VersionInfo {
  /// This build's versions with the built-in rules and default stage settings: what
  /// `crashsift --version` prints.
  static func current(rules: BucketRules = .defaults, allThreads: Bool = false) -> VersionInfo {
    let stages = StageName.dumpStages(symbolPath: nil, allThreads: allThreads, rules: rules)
    return VersionInfo(
      checkpointSchema: CheckpointSchema.migrator().migrations.count,
      bucketingRules: rules.version,
      stages: Dictionary(stages.map { ($0.name, $0.version) }, uniquingKeysWith: { a, _ in a }))
  }

  /// The versions of a run's stages: its rules file and its `all_threads` setting change them.
  static func current(recipe: StageRecipe?) -> VersionInfo {
    guard let recipe,
      let rules = try? recipe.rules.map({ try BucketRules(data: $0, name: recipe.rulesName) })
    else { return current(allThreads: recipe?.allThreads ?? false) }
    return current(rules: rules, allThreads: recipe.allThreads)
  }
}
