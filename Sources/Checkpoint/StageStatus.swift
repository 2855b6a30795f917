/// The state of one dump in one per-dump stage (`stage_state.status`).
public enum StageStatus: String, Sendable, Codable, CaseIterable {
  /// Not done at the stage's current version (never run, stale, or invalidated upstream).
  case pending
  /// Claimed by a run that has not committed a result; left behind only by a killed run.
  case running
  case done
  /// The stage ran and could not produce a result; `error` says why. Not retried by default.
  case failed
  /// The stage is waiting for an input that may arrive later (e.g. symbols).
  case deferred
}
