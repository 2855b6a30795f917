import ArgumentParser
import Cluster
import Foundation

/// `crashsift slurm resubmit`.
struct SlurmResubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resubmit",
    abstract: "Submit failed shards again, and a merge-and-report job after them.",
    discussion: """
      For a submission whose shard failed (its merge job was cancelled): submits the listed \
      shards again with the same scripts, and a new merge-and-report job gated on them. The \
      shards that succeeded stay published and are merged with them.

      Example:
        crashsift slurm resubmit --dir out/cluster --shards 3,17
      """)

  @Option(name: .long, help: "The folder of the submission (default: out/cluster).")
  var dir = "out/cluster"

  @Option(name: .long, help: "The shards to run again, comma-separated.")
  var shards: String

  @Flag(name: .long, help: "Print the job ids as JSON.")
  var json = false

  func run() throws {
    let indices = shards.split(separator: ",").map {
      Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard !indices.isEmpty, indices.allSatisfy({ $0 != nil }) else {
      throw ValidationError("--shards takes shard indices separated by commas, e.g. 3,17")
    }
    let jobs: SlurmSubmission.Jobs
    do {
      let submission = try SlurmSubmission.load(directory: dir)
      jobs = try submission.resubmit(indices.compactMap { $0 })
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(1)
    }
    try SlurmSubmitCommand.show(jobs, json: json, directory: dir)
  }
}
