import CPosix
import Checkpoint
import Foundation
import GRDB
import Interface

/// Writes the whole report of a workspace: the CSV tables, `report.json` and the HTML pages. The
/// files are written into a fresh sibling folder (`report.partial/`), flushed to disk, and then
/// exchanged with `report/` in one `renameat2(RENAME_EXCHANGE)`: at every instant `report/` is
/// either the previous report or the new one, whole, even when the run is killed mid-swap.
public enum ReportWriter {
  /// What the report needs from the manifest.
  public struct Inputs: Sendable {
    /// Batch id → night (`YYYY-MM-DD`).
    public var batchDates: [String: String]
    /// Build labels in release order.
    public var builds: [String]
    public var exposure: [(build: String, date: String, machines: Int64)]
    public var machinePattern: String?
    /// Paths under this directory are shown relative to it (the manifest's directory).
    public var baseDirectory: String?
    /// Build label → driver file name → version shipped (the manifest's `builds[].drivers`),
    /// for dumps whose images carry no version (kernel triage dumps).
    public var driverVersions: [String: [String: String]] = [:]
    /// The versions `report.json` is stamped with (with its `schema`); nil writes it unstamped.
    public var versions: VersionInfo?
    /// The team's notes on buckets (`annotations.json`).
    public var annotations = Annotations()

    public init(
      batchDates: [String: String], builds: [String],
      exposure: [(build: String, date: String, machines: Int64)], machinePattern: String?,
      baseDirectory: String?
    ) {
      self.batchDates = batchDates
      self.builds = builds
      self.exposure = exposure
      self.machinePattern = machinePattern
      self.baseDirectory = baseDirectory
    }
  }

  /// Builds the report from the workspace database and writes it to `<workspace>/report`.
  /// Returns the report and its JSON text.
  @discardableResult
  public static func write(database path: String, inputs: Inputs, folder: String) throws -> (
    report: CrashReport, json: String
  ) {
    var configuration = Configuration()
    configuration.readonly = true
    // A read-only connection may meet the writer's last checkpoint; wait rather than fail.
    configuration.busyMode = .timeout(30)
    let database = try DatabaseQueue(path: path, configuration: configuration)
    let report = try CrashReport.build(
      database: database, batchDates: inputs.batchDates, builds: inputs.builds,
      exposure: inputs.exposure, machinePattern: inputs.machinePattern,
      baseDirectory: inputs.baseDirectory, driverVersions: inputs.driverVersions,
      annotations: inputs.annotations)
    let manager = FileManager.default
    let staging = folder + ".partial"
    let previous = folder + ".old"
    // An older crashsift swapped in two renames; a kill between them left only `report.old`.
    if !manager.fileExists(atPath: folder) && manager.fileExists(atPath: previous) {
      try? manager.moveItem(atPath: previous, toPath: folder)
    }
    try? manager.removeItem(atPath: previous)
    try? manager.removeItem(atPath: staging)
    try manager.createDirectory(atPath: staging, withIntermediateDirectories: true)
    for (name, text) in report.csv {
      try text.write(toFile: "\(staging)/\(name)", atomically: false, encoding: .utf8)
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let data =
      try inputs.versions.map { try encoder.encode(Stamped(report, schema: .report, versions: $0)) }
      ?? encoder.encode(report)
    try data.write(to: URL(fileURLWithPath: "\(staging)/report.json"))
    let alerts =
      try inputs.versions.map {
        try encoder.encode(Stamped(AlertList(alerts: report.alerts), schema: .alerts, versions: $0))
      } ?? encoder.encode(AlertList(alerts: report.alerts))
    try alerts.write(to: URL(fileURLWithPath: "\(staging)/alerts.json"))
    try Alert.digest(report.alerts, night: report.nights.last?.date).write(
      toFile: "\(staging)/digest.md", atomically: false, encoding: .utf8)
    try HTMLReport.write(report, database: database, to: staging)
    try ReportSwap.flush(directory: staging)
    FaultInjection.hit("report-written")
    try ReportSwap.replace(folder, with: staging)
    FaultInjection.hit("report-swap")
    // `staging` now holds the previous report (or nothing, on a first run or the fallback).
    try? manager.removeItem(atPath: staging)
    return (report, String(decoding: data, as: UTF8.self))
  }
}

/// `alerts.json`: the alerts under one key, so the document can grow members.
struct AlertList: Codable, Sendable {
  var alerts: [Alert]
}
