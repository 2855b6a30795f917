/// How worker processes are bounded (pipeline file `workers`; docs/manifest.md).
public struct WorkerLimits: Sendable, Equatable {
  /// Seconds one dump may take in one stage before its worker is killed and the dump failed.
  public var dumpTimeoutSeconds: Double = 120
  /// Resident memory a worker may use, in MiB, before it is killed and its dump failed; also the
  /// worker's `RLIMIT_DATA`, so a sudden allocation fails inside the worker instead of the machine.
  public var memoryLimitMiB: Int = 4096
  /// Dumps sent to a worker per message.
  public var batchSize: Int = 64

  public init() {}

  var memoryLimitBytes: Int64 { Int64(memoryLimitMiB) << 20 }
}
