import ArgumentParser
import Foundation
import GRDB
import Pipeline
import Reports

/// `crashsift report`: the morning report's tables as CSV and JSON.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Write the crash report (HTML, CSV and JSON) into <workspace>/report/.",
    discussion: """
      nights.csv (crashes per night and the night's top bucket), buckets.csv (every bucket with \
      its hash, crashes, first and last night, last night's count, whether it is new) and \
      drivers.csv (per build and blamed driver: crashes, machine-days of exposure from the \
      manifest, crashes per 10,000 machine-days with an exact 95% Poisson interval, the ratio to \
      the previous build with an exact two-sided p-value; "too few machines to rate" below 1,000 \
      machine-days, counts only without exposure), plus report.json with the same data. CSV is \
      RFC 4180 with CRLF; cells starting with = + - @ are prefixed with ' so spreadsheets do \
      not evaluate them. index.html shows the crashes per night (chart stacked by the top buckets), the \
      buckets and the driver rates; buckets/<hash>.html shows each bucket's nights and a \
      representative stack. The pages need no script and no network.

      Examples:
        crashsift report
        crashsift report --manifest corpus-manifest.json --json | jq '.buckets[:5]'
      """)

  @Option(name: .long, help: "The corpus manifest (nights, builds, exposure).")
  var manifest = "corpus-manifest.json"

  @Option(name: .long, help: "Workspace directory (default: the manifest's \"output\").")
  var workspace: String?

  @Flag(name: .long, help: "Also print the report as JSON on standard output.")
  var json = false

  func run() throws {
    let loaded = try Manifest.load(path: manifest)
    let directory = workspace ?? loaded.output
    let database = try DatabaseQueue(
      path: Workspace(directory: directory).databasePath,
      configuration: {
        var c = Configuration()
        c.readonly = true
        return c
      }())
    let batchDates = Dictionary(uniqueKeysWithValues: loaded.batches.map { ($0.id, $0.date) })
    let report = try CrashReport.build(
      database: database, batchDates: batchDates,
      builds: loaded.builds.map(\.label),
      exposure: loaded.exposure.map { ($0.build, $0.date, $0.machines) })
    let folder = "\(directory)/report"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (name, text) in report.csv {
      try text.write(toFile: "\(folder)/\(name)", atomically: true, encoding: .utf8)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let data = try encoder.encode(report)
    try data.write(to: URL(fileURLWithPath: "\(folder)/report.json"))
    try HTMLReport.write(report, database: database, batchDates: batchDates, to: folder)
    if json {
      print(String(decoding: data, as: UTF8.self))
    } else {
      print(
        "report: \(folder)/index.html (and buckets/, nights.csv, buckets.csv, drivers.csv, report.json)"
      )
    }
  }
}
