/// One process of a kernel memory dump (EPROCESS), with its threads, as far as the layout knows
/// its fields: a field whose offset is unknown, or whose memory the dump does not hold, is nil.
public struct KernelProcess: Sendable, Equatable, Codable {
  /// The EPROCESS's address.
  public var address: UInt64
  /// `EPROCESS.UniqueProcessId` (the Cid WinDbg prints).
  public var processID: UInt64?
  /// `EPROCESS.InheritedFromUniqueProcessId` (ParentCid).
  public var parentProcessID: UInt64?
  /// `EPROCESS.ImageFileName` (at most 15 characters), nil unless printable.
  public var imageName: String?
  /// `EPROCESS.Peb`: the user-mode process environment block (0 for System).
  public var peb: UInt64?
  /// `KPROCESS.DirectoryTableBase`: the process's page-table root.
  public var directoryTableBase: UInt64?
  /// `EPROCESS.ObjectTable`: the handle table.
  public var objectTable: UInt64?
  /// The handles in the handle table (`KernelHandleCount`), nil with `handleCountProblem` when
  /// they could not be counted: WinDbg's HandleCount.
  public var handleCount: UInt32?
  public var handleCountProblem: String?
  /// `EPROCESS.Session`: 0 for a process outside every session (WinDbg's `SessionId: none`).
  public var session: UInt64?
  /// The session's `SessionId` (read through `session` when it is not 0).
  public var sessionID: UInt32?
  /// `EPROCESS.CreateTime` as a FILETIME (100 ns since 1601-01-01 UTC).
  public var createTime: UInt64?
  /// The process's threads in list order (empty unless they were walked).
  public var threads: [KernelThread] = []
  /// Why the thread list is missing or incomplete, nil when it was walked to its end.
  public var threadProblem: String?

  /// A process at `address` with no field read yet.
  public init(address: UInt64) {
    self.address = address
  }
}
