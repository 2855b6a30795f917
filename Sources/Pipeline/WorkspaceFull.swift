/// The run stopped because the filesystem holding the workspace is full (SQLite's
/// SQLITE_FULL). Worded for the user: what happened and what to do.
public struct WorkspaceFull: Error, CustomStringConvertible {
  public var workspace: String
  public var detail: String

  public var description: String {
    "the disk holding the workspace \(workspace) is full (\(detail)); free space and run again: "
      + "work already committed is kept"
  }
}
