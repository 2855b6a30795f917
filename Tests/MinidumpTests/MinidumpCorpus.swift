import CrashsiftTestSupport
import Foundation

@testable import Minidump

/// Paths into the shared corpus's minidump folder. Each accessor throws, naming the corpus, when
/// it is absent: tests using them carry `.requires(.corpus)`, so that only happens on CI.
enum MinidumpCorpus {
  static let breakpad = "breakpad/src/processor/testdata"

  static func root() throws -> String { "\(try Requirement.corpus.resolve())/minidump" }

  static func path(_ relative: String) throws -> String {
    "\(try root())/\(relative)"
  }

  static func open(_ relative: String) throws -> Minidump {
    try Minidump(path: try path(relative))
  }

  /// Every `.dmp` below the minidump folder, relative paths, sorted.
  static func allDumps() throws -> [String] {
    (FileManager.default.subpaths(atPath: try root()) ?? []).filter { $0.hasSuffix(".dmp") }
      .sorted()
  }
}
