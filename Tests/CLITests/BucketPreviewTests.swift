import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// `bucket --preview`: what edited rules would do, checked against a real re-bucketing of a copy
/// of the workspace with the same rules.
@Suite("bucket --preview and --apply")
struct BucketPreviewTests {
  @Test("a new skip rule: preview's splits, merges and moves equal a real re-bucketing of a copy")
  func previewMatchesApply() throws {
    let dir = TemporaryDirectory()
    let root = Corpus.packageRoot
    let manager = FileManager.default
    try manager.createSymbolicLink(
      atPath: dir.file("samples"), withDestinationPath: "\(root)/samples")
    // The pipeline and its rules are copies: --apply writes the rules file.
    try manager.copyItem(atPath: "\(root)/pipelines", toPath: dir.file("pipelines"))
    try manager.copyItem(
      atPath: "\(root)/corpus-manifest.json", toPath: dir.file("manifest.json"))
    let manifest = dir.file("manifest.json")
    let first = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", dir.file("a"), "--quiet", "--no-report",
    ])
    #expect(first.status == 1, "\(first.stderr)")  // the samples' truncated upload
    try manager.copyItem(atPath: dir.file("a"), toPath: dir.file("b"))

    // The edit: crashdrv's dispatch and work routines become plumbing to skip.
    let rulesFile = dir.file("pipelines/rules/bucketing.json")
    var rules =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: rulesFile)))
      as? [String: Any] ?? [:]
    rules["followup_skip"] =
      (rules["followup_skip"] as? [Any] ?? []) + [
        ["pattern": "crashdrv!Crashdrv*", "why": "test: crashdrv's plumbing"]
      ]
    let edited = dir.file("edited.json")
    try JSONSerialization.data(withJSONObject: rules, options: [.sortedKeys]).write(
      to: URL(fileURLWithPath: edited))

    let before = try DatabaseSnapshot.lines(databasePath: dir.file("a/crashsift.sqlite"))
    let preview = try CrashsiftBinary.run([
      "bucket", "--manifest", manifest, "--workspace", dir.file("a"), "--preview", edited,
      "--json", "--csv", dir.file("changes.csv"),
    ])
    #expect(preview.status == 0, "\(preview.stderr)")
    // Nothing was written to the previewed workspace.
    #expect(try DatabaseSnapshot.lines(databasePath: dir.file("a/crashsift.sqlite")) == before)
    let document =
      try JSONSerialization.jsonObject(with: Data(preview.stdout.utf8)) as? [String: Any]
    #expect(document?["schema"] as? String == "crashsift.bucket-preview/1.0")
    let changes = document?["changes"] as? [[String: Any]] ?? []
    func describe(_ change: [String: Any]) -> String {
      let from = (change["from"] as? [[String: Any]] ?? []).map { $0["bucket"] as? String ?? "" }
      let to = (change["to"] as? [[String: Any]] ?? []).map { $0["bucket"] as? String ?? "" }
      return "\(change["kind"] as? String ?? "") \(from.sorted()) → \(to.sorted())"
    }
    let previewed = Set(changes.map(describe))

    // The real thing on the copy, through --apply.
    let apply = try CrashsiftBinary.run([
      "bucket", "--manifest", manifest, "--workspace", dir.file("b"), "--preview", edited,
      "--apply", "--quiet",
    ])
    #expect(apply.status == 0, "\(apply.stderr)")
    #expect(
      try Data(contentsOf: URL(fileURLWithPath: rulesFile))
        == Data(contentsOf: URL(fileURLWithPath: edited)))

    // Splits, merges and moves from the two databases, by SQL over both.
    let queue = try DatabaseQueue(path: dir.file("b/crashsift.sqlite"))
    let (actual, changed, compared) = try queue.writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS old", arguments: [dir.file("a/crashsift.sqlite")])
      try db.execute(
        sql: """
          CREATE TEMP VIEW pairs AS SELECT o.failure_bucket_id AS source,
            n.failure_bucket_id AS target, n.dump_sha256 AS dump
          FROM main.buckets n JOIN old.buckets o ON o.dump_sha256 = n.dump_sha256
          """)
      var found: Set<String> = []
      // A bucket and the distinct buckets on the other side, for the groups with two or more.
      func grouped(by key: String, other: String) throws -> [(String, [String])] {
        try Row.fetchAll(
          db,
          sql: """
            SELECT \(key), group_concat(DISTINCT \(other)) FROM pairs GROUP BY \(key)
            HAVING COUNT(DISTINCT \(other)) >= 2
            """
        ).map { row in
          (row[0] as String, (row[1] as String).split(separator: ",").map(String.init).sorted())
        }
      }
      for (source, targets) in try grouped(by: "source", other: "target") {
        found.insert("split [\"\(source)\"] → \(targets)")
      }
      for (target, sources) in try grouped(by: "target", other: "source") {
        found.insert("merge \(sources) → [\"\(target)\"]")
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT p.source, MIN(p.target) FROM pairs p GROUP BY p.source
          HAVING COUNT(DISTINCT p.target) = 1 AND MIN(p.target) != p.source
            AND (SELECT COUNT(DISTINCT q.source) FROM pairs q WHERE q.target = MIN(p.target)) = 1
          """)
      {
        found.insert("move [\"\(row[0] as String)\"] → [\"\(row[1] as String)\"]")
      }
      let changed =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pairs WHERE source != target") ?? -1
      let compared = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pairs") ?? -1
      return (found, changed, compared)
    }
    let quoted = Set(previewed.map { $0.replacingOccurrences(of: "\"", with: "") })
    let expected = Set(actual.map { $0.replacingOccurrences(of: "\"", with: "") })
    #expect(!expected.isEmpty)
    #expect(quoted == expected, "preview \(quoted.sorted()) vs applied \(expected.sorted())")
    #expect(document?["changed"] as? Int == changed)
    #expect(document?["compared"] as? Int == compared)
    let csv = try String(contentsOfFile: dir.file("changes.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("kind,from_bucket,from_dumps,to_bucket,to_dumps,examples\r\n"))
    #expect(csv.contains("split,AV_crashdrv!CrashdrvDispatchDeviceControl,"))

    // Usage errors: --apply without --preview; a rules file that is not rules.
    #expect(try CrashsiftBinary.run(["bucket", "--apply"]).status == 2)
    try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.file("bad.json")))
    let bad = try CrashsiftBinary.run([
      "bucket", "--manifest", manifest, "--workspace", dir.file("a"), "--preview",
      dir.file("bad.json"),
    ])
    #expect(bad.status == 2, "\(bad.stderr)")
  }
}
