import ArgumentParser
import Foundation
import Pipeline

/// `crashsift worker` (hidden): one isolated worker process of `crashsift run`, speaking the
/// pipe protocol on standard input and output. Not for people; `run` starts and supervises it.
struct WorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Internal: a worker process of `crashsift run` (reads work from standard input).",
    shouldDisplay: false)

  /// How `run` starts workers: this same executable, `worker`.
  static var launch: WorkerLaunch? {
    // /proc/self/exe names this binary even when it was started through a relative path or PATH.
    guard
      let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    else { return nil }
    return WorkerLaunch(executable: executable, arguments: ["worker"])
  }

  func run() throws {
    if isatty(STDIN_FILENO) != 0 {
      throw ValidationError("`crashsift worker` is started by `crashsift run`, not by hand")
    }
    let status = WorkerLoop.run()
    if status != 0 { throw ExitCode(status) }
  }
}
