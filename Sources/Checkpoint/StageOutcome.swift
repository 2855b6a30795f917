/// The result of one stage for one dump, as recorded in `stage_state`.
public struct StageOutcome: Sendable, Equatable {
  public var status: StageStatus
  public var error: String?

  public init(status: StageStatus, error: String? = nil) {
    self.status = status
    self.error = error
  }

  /// The stage produced its rows.
  public static let done = StageOutcome(status: .done)
}
