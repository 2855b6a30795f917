import ArgumentParser
import Foundation
import Interface
import Pipeline

/// `crashsift status`: per-stage counts and the last run.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Show per-stage counts (pending, running, done, failed, deferred) and the last run.",
    discussion: """
      Reads the workspace without locking it, so it works while a run is going on.

      Examples:
        crashsift status
        crashsift status --workspace /srv/crash/out --json
      """)

  @Option(name: .long, help: "The corpus manifest, to find the workspace.")
  var manifest = "corpus-manifest.json"

  @Option(name: .long, help: "Workspace directory (default: the manifest's \"output\").")
  var workspace: String?

  @Flag(name: .long, help: "Print JSON on standard output.")
  var json = false

  func run() throws {
    let directory = try workspace ?? Manifest.load(path: manifest).output
    let status = try WorkspaceStatus.read(
      workspace: Workspace(directory: directory), dumpStages: StageName.dumpStageNames)
    if json {
      print(try JSONOutput.text(status, schema: .status, versions: .current(), snakeCase: false))
    } else {
      print(status.text)
    }
  }
}
