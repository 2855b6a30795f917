import ArgumentParser
import Foundation
import Interface
import Pipeline
import Reports

/// `crashsift run`: every stage in order.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run every stage on the manifest's archives, then write the report.",
    discussion: """
      Ingest, parse, symbolize (walk and name the crashing stack through the manifest's \
      symbol_path or $_NT_SYMBOL_PATH), bucket, then write the report into <workspace>/report \
      (as `crashsift report`; --no-report skips it). Resumable: stop it at any moment (even kill -9) and run it again. Only \
      new archives and dumps whose results are missing or stale are processed; a dump waiting for \
      symbols is redone once the module it waits for is found.

      Examples:
        crashsift run
        crashsift run --manifest /srv/crash/manifest.json --workspace /srv/crash/out --json
        crashsift run --fail-on regressed,new || notify-team out/report/digest.md
      """)

  @OptionGroup var common: CommonOptions

  @Flag(name: .long, help: "Do not write the report after the stages.")
  var noReport = false

  @Option(
    name: .long,
    help: """
      Exit with status 3 when the report lists one of these alerts (comma-separated: \
      \(Alert.Kind.allCases.map(\.rawValue).joined(separator: ", "))), even if some items \
      failed; for cron jobs. The alerts are in <workspace>/report/alerts.json and digest.md.
      """)
  var failOn: String?

  func validate() throws {
    _ = try ReportCommand.alertKinds(failOn)
    if failOn != nil && noReport {
      throw ValidationError("--fail-on needs the report: drop --no-report")
    }
  }

  func run() throws {
    let failKinds = try ReportCommand.alertKinds(failOn)
    let runner = try common.makeRunner()
    // A mistake in annotations.json fails now, not after the night's stages.
    let annotations =
      noReport
      ? Annotations()
      : try ReportCommand.annotations(settings: runner.settings, manifest: runner.manifest)
    let summary = try runner.run(command: "run", ingest: true)
    var alerts: [Alert] = []
    // The report shows failures too, so it is written whether or not some items failed; not
    // after a run that stopped early (disk full, database error), whose data is incomplete.
    var reportError: String?
    if !noReport && summary.error == nil {
      do {
        let written = try ReportCommand.write(
          manifest: runner.manifest, workspace: summary.workspace,
          versions: .current(recipe: runner.recipe), annotations: annotations)
        alerts = written.report.alerts
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
    do {
      try common.finish(summary, recipe: runner.recipe)
    } catch {
      // Failed items exit 1 unless an alert asked for by --fail-on is present.
      try ReportCommand.failIfAlerted(alerts, kinds: failKinds)
      throw error
    }
    try ReportCommand.failIfAlerted(alerts, kinds: failKinds)
  }
}
