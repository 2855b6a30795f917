import Foundation
import Ingest
import Interface

/// Stage settings from a pipeline file (`pipelines/nightly.json`); see `docs/manifest.md`.
public struct PipelineSettings: Sendable, Equatable {
  /// Worker threads for CPU work; 0 means one per core.
  public var jobs: Int = 0
  /// Caps applied to every archive.
  public var limits = IngestLimits()
  /// Interrupted attempts after which a dump is marked failed instead of retried.
  public var maxAttempts: Int = 3
  /// Rule files for later stages, absolute paths.
  public var rules: [String] = []
  /// Symbolize stage: walk every thread of a minidump, not only the crashing one.
  public var allThreads = false
  /// Run the per-dump stages in worker processes (`workers.isolate`, default true), so a dump
  /// that crashes or hangs a reader fails alone.
  public var isolateWorkers = true
  /// Per-dump time and memory bounds of worker processes.
  public var workerLimits = WorkerLimits()
  /// Take each dump through the per-dump stages one after the other on one worker, each stage's
  /// rows handed to the next in memory (`workers.hand_off`, default true); false runs every
  /// stage over all dumps before the next starts, the next reading its input back from the
  /// checkpoint. The rows written are the same either way.
  public var handOff = true
  /// The team's bucket annotations (absolute path): the file's `annotations` key, else
  /// `annotations.json` beside the pipeline file when it exists; nil when there is none.
  public var annotations: String?

  public init() {}

  /// Reads and validates a pipeline file.
  public static func load(path: String) throws(ConfigurationError) -> PipelineSettings {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigurationError(file: path, messages: ["cannot read the pipeline file"])
    }
    let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
    let json = try JSONValidator.parse(data: data, file: path)
    var v = JSONValidator(file: path)
    var settings = PipelineSettings()
    guard
      let root = v.object(
        json, "",
        allowed: [
          "version", "description", "jobs", "max_attempts", "ingest", "rules", "symbolize",
          "workers", "annotations",
        ])
    else { throw ConfigurationError(file: path, messages: v.errors) }
    if let version = v.integer(v.require(root, "version", ""), "version", minimum: 1), version != 1
    {
      v.fail("version", "this crashsift reads pipeline version 1, found \(version)")
    }
    _ = root["description"].map { v.string($0, "description") }
    if let jobs = v.integer(root["jobs"], "jobs", minimum: 0) { settings.jobs = Int(jobs) }
    if let attempts = v.integer(root["max_attempts"], "max_attempts", minimum: 1) {
      settings.maxAttempts = Int(attempts)
    }
    if let file = root["annotations"].flatMap({ v.string($0, "annotations") }) {
      let path =
        file.hasPrefix("/") ? file : base.appendingPathComponent(file).standardizedFileURL.path
      if FileManager.default.fileExists(atPath: path) {
        settings.annotations = path
      } else {
        v.fail("annotations", "no such file: \(path)")
      }
    } else {
      let beside = base.appendingPathComponent("annotations.json").path
      if FileManager.default.fileExists(atPath: beside) { settings.annotations = beside }
    }
    for (index, rule) in (v.array(root["rules"], "rules") ?? []).enumerated() {
      if let file = v.string(rule, "rules[\(index)]") {
        settings.rules.append(
          file.hasPrefix("/") ? file : base.appendingPathComponent(file).standardizedFileURL.path)
      }
    }
    if let symbolize = v.object(root["symbolize"], "symbolize", allowed: ["all_threads"]),
      let value = symbolize["all_threads"]
    {
      if case .bool(let flag) = value {
        settings.allThreads = flag
      } else {
        v.fail("symbolize.all_threads", "expected true or false")
      }
    }
    if let workers = v.object(
      root["workers"], "workers",
      allowed: ["isolate", "dump_timeout_seconds", "memory_limit_mib", "batch_size", "hand_off"])
    {
      if let value = workers["hand_off"] {
        if case .bool(let flag) = value {
          settings.handOff = flag
        } else {
          v.fail("workers.hand_off", "expected true or false")
        }
      }
      if let value = workers["isolate"] {
        if case .bool(let flag) = value {
          settings.isolateWorkers = flag
        } else {
          v.fail("workers.isolate", "expected true or false")
        }
      }
      if let value = v.number(
        workers["dump_timeout_seconds"], "workers.dump_timeout_seconds", minimum: 0.1)
      {
        settings.workerLimits.dumpTimeoutSeconds = value
      }
      if let value = v.integer(workers["memory_limit_mib"], "workers.memory_limit_mib", minimum: 64)
      {
        settings.workerLimits.memoryLimitMiB = Int(min(value, 1 << 30))
      }
      if let value = v.integer(workers["batch_size"], "workers.batch_size", minimum: 1) {
        // Two queued batches must fit in a pipe's 64 KiB (about 100 bytes a dump), so the parent
        // never blocks writing work while the worker blocks writing results.
        settings.workerLimits.batchSize = Int(min(value, 256))
      }
    }
    let keys: Set<String> = [
      "max_depth", "max_entry_bytes", "max_archive_bytes", "max_compression_ratio",
      "ratio_floor_bytes", "max_entries", "max_nested_archive_bytes", "nested_in_memory_bytes",
    ]
    if let ingest = v.object(root["ingest"], "ingest", allowed: keys) {
      var limits = IngestLimits()
      if let value = v.integer(ingest["max_depth"], "ingest.max_depth") {
        limits.maxDepth = Int(value)
      }
      if let value = v.integer(ingest["max_entry_bytes"], "ingest.max_entry_bytes", minimum: 1) {
        limits.maxEntryBytes = value
      }
      if let value = v.integer(ingest["max_archive_bytes"], "ingest.max_archive_bytes", minimum: 1)
      {
        limits.maxArchiveBytes = value
      }
      if let value = v.number(
        ingest["max_compression_ratio"], "ingest.max_compression_ratio", minimum: 1)
      {
        limits.maxCompressionRatio = value
      }
      if let value = v.integer(ingest["ratio_floor_bytes"], "ingest.ratio_floor_bytes") {
        limits.ratioFloorBytes = value
      }
      if let value = v.integer(ingest["max_entries"], "ingest.max_entries", minimum: 1) {
        limits.maxEntries = Int(value)
      }
      if let value = v.integer(
        ingest["max_nested_archive_bytes"], "ingest.max_nested_archive_bytes", minimum: 1)
      {
        limits.maxNestedArchiveBytes = value
      }
      if let value = v.integer(ingest["nested_in_memory_bytes"], "ingest.nested_in_memory_bytes") {
        limits.nestedInMemoryBytes = Int(min(value, Int64(Int32.max)))
      }
      settings.limits = limits
    }
    guard v.errors.isEmpty else { throw ConfigurationError(file: path, messages: v.errors) }
    return settings
  }
}
