import CrashsiftTestSupport
import Foundation
import Testing

/// Golden files under `Tests/CLITests/golden/`. `CRASHSIFT_UPDATE_GOLDEN=1` rewrites them from the
/// actual output (review the diff before committing).
enum Golden {
  static let directory = "\(Corpus.packageRoot)/Tests/CLITests/golden"

  static func check(
    _ actual: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let path = "\(directory)/\(name)"
    if ProcessInfo.processInfo.environment["CRASHSIFT_UPDATE_GOLDEN"] == "1" {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      _ = FileManager.default.createFile(atPath: path, contents: Data(actual.utf8))
      return
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      Issue.record(
        "missing golden file \(path); run with CRASHSIFT_UPDATE_GOLDEN=1",
        sourceLocation: sourceLocation)
      return
    }
    let expected = String(decoding: data, as: UTF8.self)
    if expected != actual {
      let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
      let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
      let first =
        Array(zip(expectedLines, actualLines)).firstIndex { $0.0 != $0.1 }
        ?? min(expectedLines.count, actualLines.count)
      let want = first < expectedLines.count ? String(expectedLines[first]) : "(end)"
      let got = first < actualLines.count ? String(actualLines[first]) : "(end)"
      Issue.record(
        "\(name) differs at line \(first + 1):\n  expected: \(want)\n  actual:   \(got)",
        sourceLocation: sourceLocation)
    }
  }

  /// Replaces run-dependent values: durations, the workspace and checkout paths, timestamps, pids.
  static func normalize(_ text: String, workspace: String) -> String {
    var out = text.replacingOccurrences(of: workspace, with: "<WORKSPACE>")
    out = out.replacingOccurrences(of: Corpus.packageRoot, with: "<REPO>")
    if let corpus = Corpus.root { out = out.replacingOccurrences(of: corpus, with: "<CORPUS>") }
    let patterns: [(String, String)] = [
      (#""seconds" : [0-9.e-]+"#, #""seconds" : 0"#),
      (#""(started_at|finished_at)" : "[^"]*""#, #""$1" : "<TIME>""#),
      (#""pid" : [0-9]+"#, #""pid" : 0"#),
      (#""host" : "[^"]*""#, #""host" : "<HOST>""#),
      (#""summary" : "(\\.|[^"\\])*""#, #""summary" : "<SUMMARY>""#),
      // The `crashsift` versions: the commit changes with every commit, the release with every
      // release; the schema and stage versions stay, since a change there must show in review.
      (#""commit" : "[^"]*""#, #""commit" : "<COMMIT>""#),
      (#""release" : "[^"]*""#, #""release" : "<RELEASE>""#),
    ]
    for (pattern, replacement) in patterns {
      out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return out
  }
}
