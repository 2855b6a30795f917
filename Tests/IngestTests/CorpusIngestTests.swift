import Checkpoint
import CrashsiftTestSupport
import Foundation
import Testing

@testable import Ingest

/// Real dumps from the shared corpus, packed into an archive: every one must come out with the
/// kind its signature says and the SHA-256 that coreutils' independent `sha256sum` computes.
@Suite("Corpus dumps through ingest")
struct CorpusIngestTests {
  @Test(
    "every corpus dump is stored byte-exact with the right kind",
    .requires(.corpus, .tool("sha256sum")))
  func corpusDumps() throws {
    let root = try Requirement.corpus.resolve()
    let harness = WalkHarness()
    var entries: [ArchiveFixture.Entry] = []
    var expected: [String: (kind: DumpKind, sha256: String)] = [:]
    let sha256sum = try Requirement.tool("sha256sum").resolve()
    for relative in (FileManager.default.subpaths(atPath: root) ?? []).sorted()
    where relative.hasSuffix(".dmp") {
      let path = "\(root)/\(relative)"
      guard let data = FileManager.default.contents(atPath: path) else { continue }
      entries.append(.file(relative, [UInt8](data)))
      let kind: DumpKind =
        data.starts(with: Array("PAGEDU64".utf8))
        ? .kernel64 : data.starts(with: Array("MDMP".utf8)) ? .minidump : .unknown
      expected[relative] = (kind, try Self.independentSHA256(sha256sum, path))
    }
    #expect(entries.count >= 25)
    let result = try harness.walk(entries, format: .tarZstd)
    #expect(result.outcome.error == nil)
    #expect(result.dumps.count == entries.count)
    for dump in result.dumps {
      let want = try #require(expected[dump.entryPath])
      #expect(dump.sha256 == want.sha256, "\(dump.entryPath)")
      #expect(dump.kind == want.kind, "\(dump.entryPath)")
    }
    #expect(result.dumps.contains { $0.kind == .kernel64 })
    #expect(result.dumps.contains { $0.kind == .minidump })
  }

  static func independentSHA256(_ tool: String, _ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: tool)
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: output, as: UTF8.self).prefix(64))
  }
}
