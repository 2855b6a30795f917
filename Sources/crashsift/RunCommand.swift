import ArgumentParser
import Foundation
import Interface
import Pipeline

/// `crashsift run`: every stage in order.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run every stage on the manifest's archives, then write the report.",
    discussion: """
      Ingest, parse, symbolize (walk and name the crashing stack through the manifest's \
      symbol_path or $_NT_SYMBOL_PATH), bucket, then write the report into <workspace>/report \
      (as `crashsift report`; --no-report skips it). Resumable: stop it at any moment (even kill -9) and run it again. Only \
      new archives and dumps whose results are missing or stale are processed; dumps waiting for \
      symbols are retried by every run.

      Examples:
        crashsift run
        crashsift run --manifest /srv/crash/manifest.json --workspace /srv/crash/out --json
      """)

  @OptionGroup var common: CommonOptions

  @Flag(name: .long, help: "Do not write the report after the stages.")
  var noReport = false

  func run() throws {
    let runner = try common.makeRunner()
    let summary = try runner.run(command: "run", ingest: true)
    // The report shows failures too, so it is written whether or not some items failed; not
    // after a run that stopped early (disk full, database error), whose data is incomplete.
    var reportError: String?
    if !noReport && summary.error == nil {
      do {
        let written = try ReportCommand.write(
          manifest: runner.manifest, workspace: summary.workspace,
          versions: .current(recipe: runner.recipe))
        if !common.quiet && !common.json {
          FileHandle.standardError.write(
            Data(
              "report: \(summary.workspace)/report/index.html (\(written.report.buckets.count) buckets)\n"
                .utf8))
        }
      } catch {
        reportError = "report: not written: \(error)"
      }
    }
    if let reportError {
      FileHandle.standardError.write(Data((reportError + "\n").utf8))
      try? common.finish(summary, recipe: runner.recipe)
      throw ExitCode(1)
    }
    try common.finish(summary, recipe: runner.recipe)
  }
}
