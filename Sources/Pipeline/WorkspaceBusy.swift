/// Another process holds the workspace.
public struct WorkspaceBusy: Error, CustomStringConvertible {
  public var directory: String
  public var holder: String

  public var description: String {
    "the workspace \(directory) is in use by \(holder); wait for it to finish, or pass another --workspace"
  }
}
