import ArgumentParser
import Pipeline

/// `crashsift parse`: only the parse stage, over dumps already ingested.
struct ParseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "parse",
    abstract: "Parse the stored dumps that have no current parse result.",
    discussion: """
      Minidumps and kernel dumps of every type (triage, full, bitmap, RDMP; x64, ARM64 and 32-bit \
      x86), except 32-bit RDMP dumps: their header and bug check only. A stage version bump \
      redoes older results automatically.

      Examples:
        crashsift parse
        crashsift parse --retry-failed --jobs 4
      """)

  @OptionGroup var common: CommonOptions

  func run() throws {
    let runner = try common.makeRunner()
    try common.finish(
      try runner.run(command: "parse", ingest: false, dumpStageNames: ["parse"]),
      recipe: runner.recipe)
  }
}
