import Checkpoint
import Foundation
import Interface

/// Exclusive ownership of a workspace by one process, through `flock(2)` on `crashsift.lock`.
///
/// The kernel drops the lock when the process dies, SIGKILL included, so a killed run never
/// leaves a stale lock behind. The file records who holds it, for the refusal message.
public final class WorkspaceLock {
  private let fd: Int32
  /// The lock file.
  public let path: String

  /// Takes the lock or throws `WorkspaceBusy` naming the holder.
  public init(directory: String, command: String) throws {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    path = "\(directory)/crashsift.lock"
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw ConfigurationError(
        file: path, messages: ["cannot open the lock file: \(String(cString: strerror(errno)))"])
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      var holder = ""
      if let data = FileManager.default.contents(atPath: path) {
        holder = String(decoding: data, as: UTF8.self).trimmingCharacters(
          in: .whitespacesAndNewlines)
      }
      close(fd)
      throw WorkspaceBusy(directory: directory, holder: holder.isEmpty ? "another process" : holder)
    }
    let info =
      "pid \(getpid()) on \(ProcessInfo.processInfo.hostName), `crashsift \(command)` since \(Timestamp.now())\n"
    ftruncate(fd, 0)
    _ = info.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  deinit {
    ftruncate(fd, 0)
    flock(fd, LOCK_UN)
    close(fd)
  }
}
