/// The first message a worker process gets: what to build and where the workspace is.
public struct WorkerSetup: Codable, Sendable, Equatable {
  /// The workspace directory (database opened read-only; dumps read from its store).
  public var workspace: String
  /// The per-dump stages to build.
  public var recipe: StageRecipe
  /// The worker's own cap on private memory (`RLIMIT_DATA`), in bytes; 0 for none.
  public var memoryLimitBytes: Int64

  public init(workspace: String, recipe: StageRecipe, memoryLimitBytes: Int64) {
    self.workspace = workspace
    self.recipe = recipe
    self.memoryLimitBytes = memoryLimitBytes
  }
}
