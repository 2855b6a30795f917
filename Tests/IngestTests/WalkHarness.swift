import Checkpoint
import CrashsiftTestSupport
import Foundation

@testable import Ingest

/// Walks one archive into a fresh store and collects everything the walker reported.
struct WalkHarness {
  let scratch = TemporaryDirectory("crashsift-ingest")
  var limits = IngestLimits()

  struct Result {
    var outcome: ArchiveOutcome
    var dumps: [StoredDump]
    var issues: [(entryPath: String, reason: String)]
    var storeRoot: String
    var workspace: String

    func dump(_ suffix: String) -> StoredDump? { dumps.first { $0.entryPath.hasSuffix(suffix) } }
    func issue(_ path: String) -> String? { issues.first { $0.entryPath == path }?.reason }
  }

  func walk(_ path: String) throws -> Result {
    let workspace = scratch.file("out-\(UUID().uuidString)")
    let store = try DumpStore(root: "\(workspace)/dumps", temporaryDirectory: "\(workspace)/tmp")
    var dumps: [StoredDump] = []
    var issues: [(String, String)] = []
    let walker = ArchiveWalker(store: store, limits: limits) { event in
      switch event {
      case .dump(let dump): dumps.append(dump)
      case .issue(let entryPath, let reason): issues.append((entryPath, reason))
      }
    }
    let outcome = try walker.walk(path: path)
    return Result(
      outcome: outcome, dumps: dumps, issues: issues, storeRoot: store.root, workspace: workspace)
  }

  /// Writes `entries` as `format` into the scratch directory and walks it.
  func walk(_ entries: [ArchiveFixture.Entry], format: ArchiveFixture.Format) throws -> Result {
    let path = scratch.file("fixture-\(UUID().uuidString).\(format.rawValue)")
    try ArchiveFixture.write(entries, format: format, to: path)
    return try walk(path)
  }
}

/// SHA-256 of bytes, through the same hasher the store uses (a file round trip).
func sha256(_ bytes: [UInt8], scratch: TemporaryDirectory) throws -> String {
  let path = scratch.file("hash-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
  return try FileHasher.sha256(path: path)
}
