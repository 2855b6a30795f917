import KernelDump
import Minidump
import Synchronization

/// A stored dump opened at most once for all the stages of one pass (the hand-off): parse,
/// symbolize and bucket each read the same file, and opening a kernel dump (its header, the
/// bitmap or run list, the driver list) was 5% of a worker's time when each stage opened it
/// again. A failed open is not remembered: each stage that asks gets the error.
public final class OpenedDump: Sendable {
  /// Path of the stored dump.
  public let path: String
  private let opened = Mutex<(minidump: Minidump?, kernel: KernelDump?)>((nil, nil))

  public init(path: String) {
    self.path = path
  }

  /// The dump as a minidump, opened on first use.
  public func minidump() throws -> Minidump {
    if let dump = opened.withLock({ $0.minidump }) { return dump }
    let dump = try Minidump(path: path)
    opened.withLock { $0.minidump = dump }
    return dump
  }

  /// The dump as a kernel dump, opened on first use.
  public func kernelDump() throws -> KernelDump {
    if let dump = opened.withLock({ $0.kernel }) { return dump }
    let dump = try KernelDump(path: path)
    opened.withLock { $0.kernel = dump }
    return dump
  }
}
