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

  /// How `run` starts workers: this same executable, `worker`. `/proc/self/exe` is executed
  /// (the running binary even if a package upgrade replaced the file), named by its real path.
  static var launch: WorkerLaunch? {
    let self_ = "/proc/self/exe"
    guard let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: self_) else {
      return nil
    }
    return WorkerLaunch(executable: self_, name: resolved, arguments: ["worker"])
  }

  func run() throws {
    if isatty(STDIN_FILENO) != 0 {
      throw ValidationError("`crashsift worker` is started by `crashsift run`, not by hand")
    }
    let status = WorkerLoop.run()
    if status != 0 { throw ExitCode(status) }
  }
}
