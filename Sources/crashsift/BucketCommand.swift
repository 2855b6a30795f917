import Analysis
import ArgumentParser
import Foundation
import Interface
import Pipeline
import Reports

/// `crashsift bucket`: only the bucket stage, e.g. after editing the rules; `--preview` shows what
/// other rules would change first.
struct BucketCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bucket",
    abstract: "Bucket the symbolized dumps whose bucket is missing or made with other rules.",
    discussion: """
      The rules are the pipeline file's first "rules" entry (pipelines/rules/bucketing.json; \
      format in docs/bucketing.md), else the built-in ones. Editing the rules changes their \
      version, so this command (and every `run`) re-buckets the dumps; each bucket row records \
      the rules version it was made with.

      --preview NEW_RULES.json re-buckets every bucketed dump in memory with the new rules and \
      prints which buckets would split, merge or move (with dump counts and example dumps), \
      writing nothing; --apply then installs the new rules as the pipeline's rules file and \
      re-buckets, as editing the file and running `crashsift bucket` would.

      Examples:
        crashsift bucket
        crashsift bucket --pipeline pipelines/nightly.json --json
        crashsift bucket --preview /tmp/bucketing.json
        crashsift bucket --preview /tmp/bucketing.json --csv changes.csv --json | jq .changes
        crashsift bucket --preview /tmp/bucketing.json --apply
      """)

  @OptionGroup var common: CommonOptions

  @Option(
    name: .long,
    help: "Rules file to compare with the workspace's buckets; nothing is written without --apply."
  )
  var preview: String?

  @Flag(
    name: .long,
    help: "With --preview: copy the previewed rules over the pipeline's rules file and re-bucket.")
  var apply = false

  @Option(name: .long, help: "With --preview: also write the changes as CSV to this file.")
  var csv: String?

  func validate() throws {
    if apply && preview == nil { throw ValidationError("--apply needs --preview RULES.json") }
    if csv != nil && preview == nil { throw ValidationError("--csv needs --preview RULES.json") }
  }

  func run() throws {
    var runner = try common.makeRunner()
    guard let preview else {
      try common.finish(
        try runner.run(command: "bucket", ingest: false, dumpStageNames: ["bucket"]),
        recipe: runner.recipe)
      return
    }
    guard let data = FileManager.default.contents(atPath: preview) else {
      throw ValidationError("cannot read the rules file \(preview)")
    }
    let rules: BucketRules
    do {
      rules = try BucketRules(data: data, name: preview)
    } catch let error as BucketRulesError {
      throw ConfigurationError(file: preview, messages: [error.description])
    }
    let workspace = runner.workspace
    guard FileManager.default.fileExists(atPath: workspace.databasePath) else {
      throw ValidationError(
        "no workspace database at \(workspace.databasePath): run `crashsift run` first")
    }
    let result = try BucketPreview.compute(
      database: try workspace.openDatabase(), store: try workspace.openStore(), rules: rules,
      jobs: runner.jobs)
    if let csv {
      try Self.csv(result).write(toFile: csv, atomically: true, encoding: .utf8)
    }
    if common.json && !apply {
      print(
        try JSONOutput.text(
          result, schema: .bucketPreview, versions: .current(recipe: runner.recipe),
          snakeCase: true))
    } else if !common.json {
      print(result.text, terminator: "")
    }
    guard apply else { return }
    guard let target = runner.settings.rules.first else {
      throw ValidationError(
        "--apply: the pipeline names no rules file to replace; add \"rules\": "
          + "[\"rules/bucketing.json\"] to it (docs/manifest.md)")
    }
    try data.write(to: URL(fileURLWithPath: target), options: .atomic)
    var recipe = try CommonOptions.recipe(
      symbolPath: runner.recipe?.symbolPath, allThreads: runner.settings.allThreads,
      rules: [target])
    recipe.offline = runner.recipe?.offline ?? false
    runner.recipe = recipe
    runner.dumpStages = try recipe.makeStages()
    if !common.quiet {
      FileHandle.standardError.write(Data("applied: \(preview) → \(target)\n".utf8))
    }
    try common.finish(
      try runner.run(command: "bucket", ingest: false, dumpStageNames: ["bucket"]),
      recipe: runner.recipe)
  }

  /// One row per (change, old bucket, new bucket), with the change's example dumps.
  static func csv(_ preview: BucketPreview) -> String {
    var table = CSVWriter(header: [
      "kind", "from_bucket", "from_dumps", "to_bucket", "to_dumps", "examples",
    ])
    for change in preview.changes {
      for from in change.from {
        for to in change.to {
          table.append([
            change.kind, from.bucket, String(from.dumps), to.bucket, String(to.dumps),
            change.examples.joined(separator: " "),
          ])
        }
      }
    }
    return table.text
  }
}
