import ArgumentParser
import Cluster
import Foundation
import Pipeline

/// `crashsift plan`: the night's inputs split into shards for a cluster.
struct PlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Split the manifest's inputs into shards balanced by bytes, for a cluster.",
    discussion: """
      Lists every archive and bare dump the manifest names, leaves out those the workspace \
      already ingested unchanged (same path, size and mtime), and assigns the rest to N shards, \
      largest first, each to the shard with the fewest bytes so far; inside a shard the \
      manifest's order is kept. The same inputs always give the same plan. Each shard then runs \
      with `crashsift run --plan PLAN --shard I --workspace DIR` and `crashsift merge` brings \
      the shard workspaces into the workspace (docs/cluster.md).

      Examples:
        crashsift plan --shards 8 -o plan.json
        crashsift plan --shards 64 --manifest /srv/crash/manifest.json --workspace /srv/crash/out -o /srv/crash/plan.json
      """)

  @Option(name: .long, help: "The number of shards.")
  var shards: Int

  @Option(name: .long, help: "The corpus manifest (docs/manifest.md).")
  var manifest = "corpus-manifest.json"

  @Option(
    name: .long,
    help: "The workspace the shards will be merged into (default: the manifest's \"output\").")
  var workspace: String?

  @Option(name: .shortAndLong, help: "Where to write the plan (default: standard output).")
  var output: String?

  @Flag(name: .long, help: "Print a JSON summary (crashsift.plan-summary) instead of text.")
  var json = false

  func run() throws {
    let manifest = try Manifest.load(path: self.manifest)
    let target = Workspace(
      directory: URL(fileURLWithPath: workspace ?? manifest.output).standardized.path)
    let plan: ShardPlan
    let warnings: [String]
    do {
      (plan, warnings) = try ShardPlan.make(manifest: manifest, count: shards, workspace: target)
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
    let data = try plan.encoded()
    if let output {
      try data.write(to: URL(fileURLWithPath: output), options: .atomic)
    } else {
      FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
    let inputs = plan.shards.reduce(0) { $0 + $1.inputs.count }
    let bytes = plan.shards.map(\.bytes)
    if json {
      let summary: [String: Any] = [
        "plan": output ?? "-", "digest": plan.digest, "shards": plan.shards.count,
        "inputs": inputs, "already_ingested": plan.alreadyIngested,
        "bytes_min": bytes.min() ?? 0, "bytes_max": bytes.max() ?? 0,
      ]
      let text = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
      if output != nil { print(String(decoding: text, as: UTF8.self)) }
    } else if output != nil {
      print(
        "\(inputs) inputs in \(plan.shards.count) shards (\(bytes.min() ?? 0)…\(bytes.max() ?? 0) bytes each), \(plan.alreadyIngested) already ingested; plan \(plan.digest.prefix(12))"
      )
    }
  }
}
