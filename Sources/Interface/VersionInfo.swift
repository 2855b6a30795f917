/// Every version a result depends on: printed by `crashsift --version` and carried by every JSON
/// document as its `crashsift` member, so a dashboard can tell which code and rules produced it.
public struct VersionInfo: Codable, Sendable, Equatable {
  /// The crashsift release (`BuildInfo.release`).
  public var release: String
  /// The git commit (`BuildInfo.commit`): 40 hex digits or `unknown`.
  public var commit: String
  /// The workspace database schema: the number of checkpoint migrations (append-only).
  public var checkpointSchema: Int
  /// The bucketing rules' version (the first 12 hex digits of the rules file's SHA-256).
  public var bucketingRules: String
  /// Per-dump stage name → stage version (a changed version redoes that stage's work).
  public var stages: [String: Int]

  // Spelled out so the members read the same under every encoder's key strategy.
  enum CodingKeys: String, CodingKey {
    case release, commit, stages
    case checkpointSchema = "checkpoint_schema"
    case bucketingRules = "bucketing_rules"
  }

  public init(
    release: String = BuildInfo.release, commit: String = BuildInfo.commit,
    checkpointSchema: Int, bucketingRules: String, stages: [String: Int]
  ) {
    self.release = release
    self.commit = commit
    self.checkpointSchema = checkpointSchema
    self.bucketingRules = bucketingRules
    self.stages = stages
  }

  /// The `--version` text: one `name: value` line each.
  public var text: String {
    var lines = [
      "crashsift \(release)", "commit: \(commit)", "checkpoint schema: \(checkpointSchema)",
      "bucketing rules: \(bucketingRules)",
    ]
    for (name, version) in stages.sorted(by: { $0.key < $1.key }) {
      lines.append("stage \(name): \(version)")
    }
    return lines.joined(separator: "\n")
  }
}
