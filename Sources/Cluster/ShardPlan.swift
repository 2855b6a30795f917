import Checkpoint
import Crypto
import Foundation
import GRDB
import Pipeline

/// A night's inputs split into shards (`crashsift plan`, docs/cluster.md): every archive or bare
/// dump the manifest names, except those the target workspace has already ingested unchanged
/// (same path, size and mtime), assigned to `count` shards balanced by bytes — largest first,
/// each to the shard with the fewest bytes so far (ties: the lower index) — and kept in manifest
/// order inside a shard. The same inputs and count always give the same plan (no timestamps in
/// it), so a plan can be made again on any node.
public struct ShardPlan: Codable, Sendable, Equatable {
  /// One input file of a shard.
  public struct Input: Codable, Sendable, Equatable {
    public var path: String
    public var size: Int64
    public var batch: String
    public var build: String?

    public init(path: String, size: Int64, batch: String, build: String?) {
      self.path = path
      self.size = size
      self.batch = batch
      self.build = build
    }
  }

  /// The inputs one shard runs.
  public struct Shard: Codable, Sendable, Equatable {
    public var index: Int
    public var bytes: Int64
    public var inputs: [Input]
  }

  /// `crashsift.plan/1.0`.
  public var schema: String
  /// The manifest the inputs came from (absolute).
  public var manifest: String
  /// The workspace whose finished inputs were left out, and that `merge` brings the shards into.
  public var workspace: String
  /// Inputs left out because the workspace already ingested them unchanged.
  public var alreadyIngested: Int
  public var shards: [Shard]
  /// SHA-256 of the manifest path and every shard's input paths, sizes and batches, in order:
  /// names this plan in shard workspaces and in the merge's records.
  public var digest: String

  public static let schemaID = "crashsift.plan/1.0"

  /// A plan of the given shards, its digest computed: what `make` builds, or any other
  /// partition of a manifest's inputs.
  public init(
    manifest: String, workspace: String, alreadyIngested: Int = 0, shards: [[Input]]
  ) {
    schema = Self.schemaID
    self.manifest = manifest
    self.workspace = workspace
    self.alreadyIngested = alreadyIngested
    self.shards = shards.enumerated().map { index, inputs in
      Shard(index: index, bytes: inputs.reduce(0) { $0 &+ $1.size }, inputs: inputs)
    }
    digest = ""
    digest = computeDigest()
  }

  /// The plan for `manifest`'s inputs in `count` shards, leaving out what `workspace` (if it
  /// exists) already ingested unchanged.
  public static func make(manifest: Manifest, count: Int, workspace: Workspace) throws -> (
    ShardPlan, warnings: [String]
  ) {
    guard count >= 1, count <= 100_000 else {
      throw ClusterError("the number of shards must be between 1 and 100000 (got \(count))")
    }
    let (planned, warnings) = try manifest.plannedArchives()
    let known = try knownSources(workspace)
    var inputs: [(order: Int, input: Input)] = []
    var seen: Set<String> = []
    var skipped = 0
    for archive in planned where seen.insert(archive.path).inserted {
      guard let stat = IngestStage.fileStat(archive.path) else {
        throw ClusterError("cannot stat \(archive.path): does it exist and is it readable?")
      }
      if let source = known[archive.path], source.size == stat.size, source.mtime == stat.mtime,
        source.status == "done"
      {
        skipped += 1
        continue
      }
      inputs.append(
        (
          inputs.count,
          Input(path: archive.path, size: stat.size, batch: archive.batch, build: archive.build)
        ))
    }
    // Largest first; equal sizes in manifest order, so the assignment is deterministic.
    let bySize = inputs.sorted {
      $0.input.size != $1.input.size ? $0.input.size > $1.input.size : $0.order < $1.order
    }
    var members = [[(Int, Input)]](repeating: [], count: count)
    // A binary min-heap of (load, index): the lightest shard, ties to the lower index.
    var heap = (0..<count).map { (load: Int64(0), index: $0) }
    func less(_ a: (load: Int64, index: Int), _ b: (load: Int64, index: Int)) -> Bool {
      a.load != b.load ? a.load < b.load : a.index < b.index
    }
    for entry in bySize {
      let lightest = heap[0].index
      members[lightest].append(entry)
      heap[0].load &+= entry.input.size
      var parent = 0
      while true {
        let left = 2 * parent + 1
        let right = left + 1
        var smallest = parent
        if left < heap.count, less(heap[left], heap[smallest]) { smallest = left }
        if right < heap.count, less(heap[right], heap[smallest]) { smallest = right }
        if smallest == parent { break }
        heap.swapAt(parent, smallest)
        parent = smallest
      }
    }
    let plan = ShardPlan(
      manifest: manifest.file, workspace: workspace.directory, alreadyIngested: skipped,
      shards: members.map { $0.sorted { $0.0 < $1.0 }.map(\.1) })
    return (plan, warnings)
  }

  /// What a workspace knows of each manifest path: the ingest stage's own no-op test.
  static func knownSources(_ workspace: Workspace) throws -> [String: (
    size: Int64, mtime: Int64, status: String
  )] {
    guard FileManager.default.fileExists(atPath: workspace.databasePath) else { return [:] }
    let database = try CheckpointDatabase(path: workspace.databasePath, readOnly: true)
    return try database.read { db in
      var found: [String: (size: Int64, mtime: Int64, status: String)] = [:]
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT s.path, s.size, s.mtime, a.status FROM archive_sources s
          JOIN archives a ON a.sha256 = s.sha256
          """)
      for row in rows { found[row[0]] = (row[1], row[2], row[3]) }
      return found
    }
  }

  func computeDigest() -> String {
    var hasher = SHA256()
    hasher.update(data: Data("\(schema)\n\(manifest)\n\(shards.count)\n".utf8))
    for shard in shards {
      hasher.update(data: Data("shard \(shard.index)\n".utf8))
      for input in shard.inputs {
        hasher.update(data: Data("\(input.path)\t\(input.size)\t\(input.batch)\n".utf8))
      }
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  /// The plan in `path`, checked.
  public static func load(path: String) throws -> ShardPlan {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ClusterError("cannot read the plan \(path); make one with `crashsift plan`")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let plan: ShardPlan
    do {
      plan = try decoder.decode(ShardPlan.self, from: data)
    } catch {
      throw ClusterError("\(path) is not a crashsift plan: \(error)")
    }
    guard plan.schema == schemaID else {
      throw ClusterError("\(path): plan schema \(plan.schema), this crashsift reads \(schemaID)")
    }
    guard plan.computeDigest() == plan.digest else {
      throw ClusterError("\(path): the plan was edited (its digest does not match its shards)")
    }
    return plan
  }

  /// The plan as JSON (sorted keys, snake case), as `crashsift plan` writes it.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    return try encoder.encode(self)
  }
}
