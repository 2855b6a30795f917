import ArgumentParser
import Pipeline

/// `crashsift parse`: only the parse stage, over dumps already ingested.
struct ParseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "parse",
    abstract: "Parse the stored dumps that have no current parse result.",
    discussion: """
      Minidumps are parsed now; kernel dumps are deferred until the kernel-dump reader lands \
      (run with --retry-deferred then).

      Examples:
        crashsift parse
        crashsift parse --retry-failed --jobs 4
      """)

  @OptionGroup var common: CommonOptions

  func run() throws {
    let runner = try common.makeRunner()
    try common.finish(try runner.run(command: "parse", ingest: false, dumpStageNames: ["parse"]))
  }
}
