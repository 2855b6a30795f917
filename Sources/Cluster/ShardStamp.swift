import Foundation
import Interface
import Pipeline

/// `shard.json` in a shard's workspace: which plan and shard it runs and which crashsift made
/// it, written by `run --plan` before its stages and read by `merge`, which refuses a shard of
/// another version (docs/cluster.md).
public struct ShardStamp: Codable, Sendable, Equatable {
  public var schema: String
  public var planDigest: String
  public var plan: String
  public var shardIndex: Int
  public var shardCount: Int
  /// The versions of the crashsift and rules that ran it.
  public var crashsift: VersionInfo

  // Spelled out: VersionInfo's own keys are snake case already, so no key strategy is used.
  enum CodingKeys: String, CodingKey {
    case schema, plan, crashsift
    case planDigest = "plan_digest"
    case shardIndex = "shard_index"
    case shardCount = "shard_count"
  }

  public static let schemaID = "crashsift.shard/1.0"
  public static let fileName = "shard.json"

  public init(plan: ShardPlan, planPath: String, index: Int, versions: VersionInfo) {
    schema = Self.schemaID
    planDigest = plan.digest
    self.plan = planPath
    shardIndex = index
    shardCount = plan.shards.count
    crashsift = versions
  }

  /// The stamp of the shard workspace `directory`, nil when it has none.
  public static func read(_ directory: String) throws -> ShardStamp? {
    let path = "\(directory)/\(fileName)"
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let decoder = JSONDecoder()
    do {
      return try decoder.decode(ShardStamp.self, from: data)
    } catch {
      throw ClusterError("\(path) is not a shard stamp: \(error)")
    }
  }

  /// Writes the stamp into `directory` (created), refusing a workspace that already runs
  /// another plan's or another index's shard.
  public func write(to directory: String) throws {
    if let existing = try Self.read(directory),
      existing.planDigest != planDigest || existing.shardIndex != shardIndex
    {
      throw ClusterError(
        "\(directory) holds shard \(existing.shardIndex) of plan \(existing.planDigest.prefix(12)); give each shard its own --workspace"
      )
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      try FileManager.default.createDirectory(
        atPath: directory, withIntermediateDirectories: true)
      try encoder.encode(self).write(
        to: URL(fileURLWithPath: "\(directory)/\(Self.fileName)"), options: .atomic)
    } catch {
      throw ClusterError(
        "cannot write \(directory)/\(Self.fileName): \(error.localizedDescription)")
    }
  }
}
