import Analysis
import Checkpoint
import Foundation
import GRDB
import KernelDump
import Minidump

/// The bucket stage: from the symbolize stage's frames (read from the checkpoint) and the dump's
/// bug check or exception, the followup frame and FAILURE_BUCKET_ID (`Bucketer`). Its version
/// carries the rules' digest, so editing the rules re-buckets every dump on the next run; each row
/// records the rules version and whether the blamed frame had symbols.
public struct BucketStage: DumpStage {
  public let name = "bucket"
  public let version: Int
  public let outputTables = ["buckets"]
  let rules: BucketRules

  /// Code version 1, plus the rules digest.
  public init(rules: BucketRules) {
    self.rules = rules
    let digest = UInt32(rules.version.prefix(8), radix: 16) ?? 0
    version = (1 << 32) | Int(digest)
  }

  struct Upstream: Sendable {
    var frames: [Bucketer.Frame]
  }

  public func load(_ db: Database, dump: String) throws -> (any Sendable)? {
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT module, module_offset, function, function_offset, trust FROM symbolized_frames
        WHERE dump_sha256 = ? ORDER BY frame
        """, arguments: [dump])
    return Upstream(
      frames: rows.map { row in
        Bucketer.Frame(
          image: row["module"],
          moduleOffset: (row["module_offset"] as Int64?).map { UInt64(bitPattern: $0) },
          function: row["function"],
          functionOffset: (row["function_offset"] as Int64?).map { UInt64(bitPattern: $0) },
          trust: row["trust"] ?? "context")
      })
  }

  public func process(_ input: DumpStageInput) throws -> StageResult {
    let frames = (input.upstream as? Upstream)?.frames ?? []
    let crash: Bucketer.Crash?
    switch input.item.kind {
    case .minidump: crash = Bucketer.crash(of: try Minidump(path: input.path))
    case .kernel32, .kernel64: crash = Bucketer.crash(of: try KernelDump(path: input.path))
    case .unknown: crash = nil
    }
    guard let crash else { return StageResult { _ in } }  // Nothing crashed: no bucket.
    let bucket = Bucketer.bucket(crash, frames: frames, rules: rules)
    let sha = input.item.dumpSHA256
    let skipped = String(
      decoding: (try? JSONEncoder().encode(bucket.skipped)) ?? Data(), as: UTF8.self)
    let arguments = StatementArguments(
      [
        sha, bucket.mode, bucket.code, bucket.subtype, bucket.prefix,
        bucket.followupFrame.map { Int64($0) }, bucket.symbolName, bucket.moduleName,
        bucket.imageName, bucket.function, bucket.functionOffset, bucket.failureBucketID,
        bucket.failureIDHash, bucket.symbolized ? 1 : 0, bucket.trust, skipped, bucket.rulesVersion,
      ] as [(any DatabaseValueConvertible)?])
    return StageResult { db in
      try db.execute(
        sql: """
          INSERT INTO buckets (dump_sha256, mode, code, subtype, prefix, followup_frame, symbol_name,
            module_name, image_name, function, function_offset, failure_bucket_id, failure_id_hash,
            symbolized, trust, skipped, rules_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
          """, arguments: arguments)
    }
  }
}
