import ArgumentParser
import Foundation
import GRDB
import Interface
import Pipeline
import Reports

/// `crashsift report`: the morning report (HTML pages, CSV tables and JSON).
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the crash report (HTML, CSV and JSON) into <workspace>/report/.",
    discussion: """
      Also the last stage of `crashsift run`. Writes, replacing the previous report whole:
        index.html        run summary (archives, dumps, failures, symbol coverage), crashes per \
      night stacked by the top buckets, what changed last night (new, regressed, spiking \
      buckets), Top Crashers for the last 1, 7 and 28 nights with rank change, every bucket, and \
      the driver rates per build
        buckets/<hash>.html   one page per bucket: code, counts per night and build (chart), \
      driver and OS versions, the representative stack, up to 10 example dumps per offset with \
      their archive and entry path
        drivers/<image>.html  one page per blamed driver: rate per build as a forest plot with \
      95% intervals, versions seen, the buckets it is blamed for per build
        failures.html, symbols.html   what could not be read, and modules without symbols
        alerts.json, digest.md   regressed (after the fix annotations.json names, or after quiet \
      nights), new, spiking buckets and drivers whose rate rose; ignored buckets never alert
        *.csv, report.json    every table (RFC 4180, CRLF; cells starting with = + - @ are \
      prefixed with ' so spreadsheets do not evaluate them) and the same data as JSON

      Driver rates are crashes per 10,000 machine-days of the build (the manifest's exposure) \
      with an exact 95% Poisson interval and the exact test against the previous build; below \
      1,000 machine-days the page says "too few machines to rate", and without exposure it gives \
      counts and each driver's share of its build's crashes. Distinct machines come from the \
      manifest's machine_pattern. The pages need no script and no network.

      Examples:
        crashsift report
        crashsift report --manifest corpus-manifest.json --json | jq '.buckets[:5]'
        crashsift report --fail-on regressed,driver-rate    # exit 3 when one is listed
      """)

  @Option(name: .long, help: "The corpus manifest (nights, builds, exposure).")
  var manifest = "corpus-manifest.json"

  @Option(name: .long, help: "Workspace directory (default: the manifest's \"output\").")
  var workspace: String?

  @Flag(name: .long, help: "Also print the report as JSON on standard output.")
  var json = false

  @Option(
    name: .long,
    help: """
      Exit with status 3 when the report lists one of these alerts (comma-separated: \
      \(Alert.Kind.allCases.map(\.rawValue).joined(separator: ", "))).
      """)
  var failOn: String?

  func validate() throws { _ = try Self.alertKinds(failOn) }

  func run() throws {
    let loaded = try Manifest.load(path: manifest)
    let directory = workspace ?? loaded.output
    let folder = "\(directory)/report"
    // The versions named in report.json are the pipeline's (its rules file and settings), as
    // when `run` writes the report: the same workspace gives the same report either way.
    let settings =
      try loaded.pipeline.map { try PipelineSettings.load(path: $0) } ?? PipelineSettings()
    let recipe = try CommonOptions.recipe(
      symbolPath: nil, allThreads: settings.allThreads, rules: settings.rules)
    let written = try Self.write(
      manifest: loaded, workspace: directory, versions: .current(recipe: recipe),
      annotations: Self.annotations(settings: settings, manifest: loaded))
    if json {
      print(written.json)
    } else {
      let health = written.report.health
      print(
        "report: \(folder)/index.html (\(written.report.buckets.count) buckets, "
          + "\(health.failures.count) failures, \(health.missingSymbols.count) modules without "
          + "symbols; CSV, JSON and one page per bucket beside it)")
    }
    try Self.failIfAlerted(written.report.alerts, kinds: Self.alertKinds(failOn))
  }

  /// The kinds `--fail-on` names; a misspelt one is a usage error naming the valid ones.
  static func alertKinds(_ text: String?) throws -> Set<Alert.Kind> {
    guard let text else { return [] }
    var kinds: Set<Alert.Kind> = []
    for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
    where !name.isEmpty {
      guard let kind = Alert.Kind(rawValue: name) else {
        throw ValidationError(
          "--fail-on: unknown alert \"\(name)\"; expected some of "
            + Alert.Kind.allCases.map(\.rawValue).joined(separator: ", "))
      }
      kinds.insert(kind)
    }
    return kinds
  }

  /// Exit status 3 when `alerts` hold one of `kinds`, after saying which on standard error (even
  /// with `--quiet`: they explain the exit status).
  static func failIfAlerted(_ alerts: [Alert], kinds: Set<Alert.Kind>) throws {
    let hits = alerts.filter { kinds.contains($0.kind) }
    guard !hits.isEmpty else { return }
    let lines = hits.map { "alert: \($0.kind.rawValue): \($0.subject): \($0.detail)" }
    FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    throw ExitCode(3)
  }

  /// Writes the report of `workspace` with the manifest's nights, builds, exposure and machine
  /// pattern; shared with `crashsift run`, whose last stage it is.
  static func write(
    manifest: Manifest, workspace: String, versions: VersionInfo = .current(),
    annotations: Annotations
  ) throws -> (
    report: CrashReport, json: String
  ) {
    let database = Workspace(directory: workspace).databasePath
    guard FileManager.default.fileExists(atPath: database) else {
      throw ValidationError(
        "no workspace database at \(database): run `crashsift run` first (or pass --workspace)")
    }
    var inputs = ReportWriter.Inputs(
      batchDates: Dictionary(
        manifest.batches.map { ($0.id, $0.date) }, uniquingKeysWith: { a, _ in a }),
      builds: manifest.builds.map(\.label),
      exposure: manifest.exposure.map { ($0.build, $0.date, $0.machines) },
      machinePattern: manifest.machinePattern,
      baseDirectory: URL(fileURLWithPath: manifest.file).standardizedFileURL
        .deletingLastPathComponent().path)
    inputs.versions = versions
    inputs.annotations = annotations
    inputs.driverVersions = Dictionary(
      manifest.builds.map { ($0.label, $0.drivers) }, uniquingKeysWith: { a, _ in a })
    return try ReportWriter.write(database: database, inputs: inputs, folder: "\(workspace)/report")
  }

  /// The annotations file of the pipeline in use, read and checked against the manifest's
  /// builds; empty when there is none. `run` reads it before its stages, so a mistake in the
  /// file fails in a second rather than after the night's work.
  static func annotations(settings: PipelineSettings, manifest: Manifest) throws -> Annotations {
    guard let path = settings.annotations else { return Annotations() }
    return try Annotations.load(path: path, builds: manifest.builds.map(\.label))
  }
}
