/// The JSON documents crashsift prints or writes, each with a versioned schema under
/// `docs/schema/<kind>.schema.json`.
///
/// Versioning rule (docs/schema/README.md): adding a member is a minor bump; renaming, removing
/// or retyping one is a major bump. Consumers should ignore members they do not know.
public enum SchemaID: String, CaseIterable, Sendable {
  case analyzeMinidump = "analyze-minidump"
  case analyzeKernel = "analyze-kernel"
  case explain
  case status
  case run
  case report
  case symbolsLookup = "symbols-lookup"
  case symbolsIndex = "symbols-index"
  case symbolsFetch = "symbols-fetch"
  case forge
  case alerts
  case bucketPreview = "bucket-preview"
  case processes
  case merge

  /// `major.minor` of the schema this build writes.
  public var version: String {
    switch self {
    // 1.1: `fault_context` (the TRAP_FRAME / CONTEXT a kernel stack was walked from).
    // run 1.1: `retried_deferred` per stage, 1.2: `handed_off`. report 1.1: `health.symbol_sources`.
    case .run: "1.2"
    case .analyzeMinidump, .analyzeKernel, .explain, .report: "1.1"
    case .status, .alerts, .bucketPreview, .symbolsLookup, .symbolsIndex, .symbolsFetch, .forge,
      .processes, .merge:
      "1.0"
    }
  }

  /// The value of a document's `schema` member, e.g. `crashsift.status/1.0`.
  public var identifier: String { "crashsift.\(rawValue)/\(version)" }
}
