import CrashsiftTestSupport
import Foundation

@testable import Minidump

/// Paths into the shared corpus's minidump folder.
enum MinidumpCorpus {
  static var root: String? { Corpus.root.map { "\($0)/minidump" } }
  static let breakpad = "breakpad/src/processor/testdata"

  static func path(_ relative: String) -> String? {
    root.map { "\($0)/\(relative)" }
  }

  static func open(_ relative: String) throws -> Minidump? {
    guard let path = path(relative) else { return nil }
    return try Minidump(path: path)
  }

  /// Every `.dmp` below the minidump folder, relative paths, sorted.
  static func allDumps() -> [String] {
    guard let root else { return [] }
    return (FileManager.default.subpaths(atPath: root) ?? []).filter { $0.hasSuffix(".dmp") }
      .sorted()
  }

  /// Reports a missing corpus: a skip locally, a failure on CI.
  static func unavailable() -> Bool {
    guard root == nil else { return false }
    print(Corpus.absenceMessage ?? "corpus missing")
    return true
  }
}
