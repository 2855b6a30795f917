import ArgumentParser
import Pipeline

/// `crashsift bucket`: only the bucket stage, e.g. after editing the rules.
struct BucketCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bucket",
    abstract: "Bucket the symbolized dumps whose bucket is missing or made with other rules.",
    discussion: """
      The rules are the pipeline file's first "rules" entry (pipelines/rules/bucketing.json; \
      format in docs/bucketing.md), else the built-in ones. Editing the rules changes their \
      version, so this command (and every `run`) re-buckets the dumps; each bucket row records \
      the rules version it was made with.

      Examples:
        crashsift bucket
        crashsift bucket --pipeline pipelines/nightly.json --json
      """)

  @OptionGroup var common: CommonOptions

  func run() throws {
    let runner = try common.makeRunner()
    try common.finish(
      try runner.run(command: "bucket", ingest: false, dumpStageNames: ["bucket"]),
      recipe: runner.recipe)
  }
}
