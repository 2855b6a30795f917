import Analysis
import Checkpoint
import Foundation
import GRDB
import KernelDump
import Minidump

/// The bucket stage: from the symbolize stage's frames (handed over or read from the checkpoint) and the dump's
/// bug check or exception, the followup frame and FAILURE_BUCKET_ID (`Bucketer`). Its version
/// carries the rules' digest, so editing the rules re-buckets every dump on the next run; each row
/// records the rules version and whether the blamed frame had symbols.
public struct BucketStage: DumpStage {
  public let name = "bucket"
  public let version: Int
  public let outputTables = ["buckets"]
  let rules: BucketRules

  /// Code version 2 (followup from the fault context), plus the rules digest.
  public init(rules: BucketRules) {
    self.rules = rules
    let digest = UInt32(rules.version.prefix(8), radix: 16) ?? 0
    version = (2 << 32) | Int(digest)
  }

  struct Upstream: Sendable {
    var frames: [Bucketer.Frame]
    var socorro: [SocorroSignature.Frame]
    var reason: String?
  }

  public var inputTables: [String] { ["crash_stacks", "parsed_dumps"] }

  /// Sorted keys: the same decision must give the same bytes (re-bucketing and crash-safety
  /// comparisons depend on it). One for the process: making one per dump showed in profiles.
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  public func load(_ upstream: UpstreamRows) throws -> (any Sendable)? {
    let packed = try upstream.rows("crash_stacks", columns: ["frames"]).first.flatMap {
      String.fromDatabaseValue($0[0])
    }
    let reason = try upstream.rows("parsed_dumps", columns: ["crash_reason"]).first.flatMap {
      String.fromDatabaseValue($0[0])
    }
    let frames = try packed.map(PackedFrame.unpack) ?? []
    func unsigned(_ value: Int64?) -> UInt64? { value.map { UInt64(bitPattern: $0) } }
    return Upstream(
      frames: frames.map { frame in
        Bucketer.Frame(
          image: frame.module,
          moduleOffset: unsigned(frame.moduleOffset),
          function: frame.function,
          functionOffset: unsigned(frame.functionOffset),
          trust: frame.trust ?? "context",
          instruction: UInt64(bitPattern: frame.address),
          stackPointer: unsigned(frame.stackPointer))
      },
      socorro: frames.map { frame in
        SocorroSignature.Frame(
          function: frame.function, module: frame.module, file: frame.file,
          line: frame.line.map { Int(truncatingIfNeeded: $0) },
          offset: "0x" + String(UInt64(bitPattern: frame.address), radix: 16))
      }, reason: reason)
  }

  public func process(_ input: DumpStageInput) throws -> StageResult {
    let upstream = input.upstream as? Upstream
    let frames = upstream?.frames ?? []
    let crash: Bucketer.Crash?
    var context: Bucketer.FaultContext?
    var faulting: Bucketer.Frame?
    var parameterFrames: [Bucketer.Frame?] = []
    var facts: [String: String] = [:]
    var describe: (inout CrashBucket) -> Void = { _ in }
    switch input.item.kind {
    case .minidump:
      let dump = try input.dump.minidump()
      crash = Bucketer.crash(of: dump)
      describe = { $0.describe(from: dump) }
    case .kernel32, .kernel64:
      let dump = try input.dump.kernelDump()
      crash = Bucketer.crash(of: dump)
      // The symbolize stage walked from the bug check's trap frame or context record when it
      // could; its first frame is then that context's instruction.
      if let (named, ip) = ThreadStack.faultContext(of: dump), frames.first?.instruction == ip {
        context = named
      }
      faulting = Bucketer.faultingFrame(of: dump)
      parameterFrames = Bucketer.parameterFrames(of: dump)
      facts = Bucketer.facts(of: dump, frames: frames)
      describe = { $0.describe(from: dump) }
    case .unknown: crash = nil
    }
    guard let crash else { return StageResult() }  // Nothing crashed: no bucket.
    var bucket = Bucketer.bucket(
      crash, frames: frames, rules: rules, context: context, faultingFrame: faulting,
      parameterFrames: parameterFrames, facts: facts)
    describe(&bucket)
    // Socorro signs user-mode crashes; its lists know nothing of kernel bug-check plumbing.
    if bucket.mode == "um", let lists = SocorroLists.defaults, let upstream {
      let data = SocorroSignature.CrashData(
        os: "Windows NT", reason: upstream.reason, frames: upstream.socorro)
      bucket.socorroSignature = SocorroSignature.generate(data, lists: lists).signature
    }
    let sha = input.item.dumpSHA256
    let skipped = String(
      decoding: (try? Self.encoder.encode(bucket.skipped)) ?? Data(), as: UTF8.self)
    var rows = StageRows(
      table: "buckets",
      columns: [
        "dump_sha256", "mode", "code", "subtype", "prefix", "followup_frame", "symbol_name",
        "module_name", "image_name", "function", "function_offset", "failure_bucket_id",
        "failure_id_hash", "symbolized", "trust", "skipped", "rules_version", "socorro_signature",
        "image_timestamp", "image_version", "process_name",
      ])
    rows.append(
      [
        sha, bucket.mode, bucket.code, bucket.subtype, bucket.prefix,
        bucket.followupFrame.map { Int64($0) }, bucket.symbolName, bucket.moduleName,
        bucket.imageName, bucket.function, bucket.functionOffset, bucket.failureBucketID,
        bucket.failureIDHash, bucket.symbolized ? 1 : 0, bucket.trust, skipped, bucket.rulesVersion,
        bucket.socorroSignature, bucket.imageTimestamp, bucket.imageVersion, bucket.processName,
      ])
    return StageResult(tables: [rows])
  }
}
