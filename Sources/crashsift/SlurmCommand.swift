import ArgumentParser
import Cluster
import Foundation
import Pipeline

/// `crashsift slurm submit|resubmit`: a night as Slurm jobs.
struct SlurmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "slurm",
    abstract: "Run a night on a Slurm cluster as a plan job, shard arrays and a merge job.",
    subcommands: [SlurmSubmitCommand.self, SlurmResubmitCommand.self])
}
