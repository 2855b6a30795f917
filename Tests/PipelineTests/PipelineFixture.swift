import Checkpoint
import CrashsiftTestSupport
import Foundation
import Ingest
import Logging

@testable import Pipeline

/// A scratch corpus: archives written into a temporary directory and a manifest naming them.
final class PipelineFixture {
  let scratch = TemporaryDirectory("crashsift-pipeline")
  var batches: [(id: String, patterns: [String])] = []
  var settings = PipelineSettings()
  /// The manifest's `sources_immutable`.
  var sourcesImmutable = false
  /// `PipelineRunner.Options.placeBareDumps`.
  var placeBareDumps = true

  var workspace: String { "\(scratch.path)/out" }

  /// Writes an archive at `relative` and returns its path.
  @discardableResult
  func archive(_ relative: String, format: ArchiveFixture.Format, _ entries: [ArchiveFixture.Entry])
    throws -> String
  {
    let path = scratch.file(relative)
    try ArchiveFixture.write(entries, format: format, to: path)
    return path
  }

  func manifest() throws -> Manifest {
    let batchJSON = batches.map { batch in
      let archives = batch.patterns.map { "\"\($0)\"" }.joined(separator: ",")
      return "{\"id\":\"\(batch.id)\",\"date\":\"2026-11-20\",\"archives\":[\(archives)]}"
    }
    let json =
      "{\"version\":1,\"output\":\"out\",\"sources_immutable\":\(sourcesImmutable),\"batches\":[\(batchJSON.joined(separator: ","))]}"
    return try Manifest.parse(
      data: Data(json.utf8), file: "manifest.json", baseDirectory: scratch.path)
  }

  func runner(jobs: Int = 2, retryFailed: Bool = false, stages: [any DumpStage] = []) throws
    -> PipelineRunner
  {
    var options = PipelineRunner.Options()
    options.jobs = jobs
    options.retryFailed = retryFailed
    options.placeBareDumps = placeBareDumps
    var runner = PipelineRunner(
      manifest: try manifest(), settings: settings, options: options, logger: Logger(label: "test"))
    runner.dumpStages = stages
    return runner
  }

  func run(
    jobs: Int = 2, retryFailed: Bool = false, stages: [any DumpStage] = [], ingest: Bool = true
  ) throws -> RunSummary {
    try runner(jobs: jobs, retryFailed: retryFailed, stages: stages).run(
      command: "run", ingest: ingest)
  }

  func snapshot() throws -> [String] {
    try DatabaseSnapshot.lines(databasePath: Workspace(directory: workspace).databasePath)
  }

  func database() throws -> CheckpointDatabase {
    try CheckpointDatabase(path: Workspace(directory: workspace).databasePath)
  }
}
