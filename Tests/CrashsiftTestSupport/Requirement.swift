import Foundation
import Testing

/// Something a test needs from outside the package: the shared corpus, an oracle, a program.
///
/// A test declares what it needs with the `.requires(...)` trait and reads each path with
/// `resolve()`. Where something is missing the runner reports the test as skipped rather than
/// passed, so a checkout without `../shared` cannot look fully tested; under `CI=true` the test
/// runs anyway and `resolve()` fails it, naming what is missing.
public enum Requirement: Sendable, CustomStringConvertible {
  /// The shared fixture corpus (`Corpus.root`).
  case corpus
  /// The oracle venv's Python (`../shared/oracles/install.sh`).
  case oraclePython
  /// A script under `../shared/oracles/`.
  case oracleScript(String)
  /// A program on PATH: the first of these names that is found (see `tool(_:)`).
  case program([String])
  /// Something a probe decides, such as the privilege to mount a scratch file system.
  case capability(String, @Sendable () -> String?)

  /// A program on PATH, under any of `names`.
  public static func tool(_ names: String...) -> Requirement { .program(names) }

  /// The error that fails a test whose requirement is missing on CI.
  public struct Missing: Error, CustomStringConvertible {
    /// What is missing and where it was looked for.
    public var description: String

    public init(description: String) { self.description = description }
  }

  public var description: String {
    switch self {
    case .corpus: "the fixture corpus"
    case .oraclePython: "the oracle venv's Python"
    case .oracleScript(let name): "the oracle \(name)"
    case .program(let names): names.joined(separator: " or ")
    case .capability(let name, _): name
    }
  }

  /// The path this requirement names, or why it cannot be had.
  public var lookup: Result<String, Missing> {
    switch self {
    case .corpus:
      if let root = Corpus.root { return .success(root) }
      return .failure(
        Missing(
          description: "fixture corpus not found at \(Corpus.candidate) "
            + "(set CRASHSIFT_CORPUS or place it at ../shared/corpus)"))
    case .oraclePython:
      if let python = Tools.oraclePython { return .success(python) }
      return .failure(
        Missing(
          description: "oracle venv not found at \(Tools.oracleVenvPython) "
            + "(run ../shared/oracles/install.sh)"))
    case .oracleScript(let name):
      if let script = Tools.oracleScript(name) { return .success(script) }
      return .failure(
        Missing(
          description: "oracle script not found at \(Tools.oracleDirectory)/\(name) "
            + "(the oracles folder beside the corpus, ../shared/oracles)"))
    case .program(let names):
      for name in names {
        if let path = Tools.find(name) { return .success(path) }
      }
      return .failure(Missing(description: "\(description) not found on PATH"))
    case .capability(_, let probe):
      if let reason = probe() { return .failure(Missing(description: reason)) }
      return .success("")
    }
  }

  /// The corpus, script or program path; throws `Missing` naming what is absent, which only
  /// happens when the `.requires` trait let the test run on CI.
  @discardableResult
  public func resolve() throws -> String {
    try lookup.get()
  }

  /// What is missing among `requirements`, in order; empty when all are there.
  public static func missing(_ requirements: [Requirement]) -> [Missing] {
    requirements.compactMap {
      if case .failure(let missing) = $0.lookup { return missing }
      return nil
    }
  }
}

extension Trait where Self == ConditionTrait {
  /// Skips the test when one of `requirements` is missing, except under `CI=true`, where the
  /// test runs so that its `resolve()` calls fail it by name.
  public static func requires(
    _ requirements: Requirement..., sourceLocation: SourceLocation = #_sourceLocation
  ) -> Self {
    // Probed once, when the runner builds its plan: the comment must name what was missing.
    let missing = Requirement.missing(requirements).map(\.description)
    return .enabled(
      if: missing.isEmpty || Tools.isCI,
      Comment(rawValue: missing.isEmpty ? "requirements met" : missing.joined(separator: "; ")),
      sourceLocation: sourceLocation)
  }
}
