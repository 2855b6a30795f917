import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// The team's annotations on the sample corpus (`pipelines/annotations.json`, committed with the
/// samples): a bucket fixed in the middle build that still crashes is regressed, a bucket fixed
/// in the newest build is not, an ignored bucket leaves the rankings and alerts but not the
/// totals; `--fail-on` turns alerts into exit status 3.
@Suite("annotations, alerts and --fail-on")
struct AnnotationsTests {
  static let readSetting = "{233be711-1e68-9500-6911-5f20d36ffce5}"
  static let dispatch = "{f6fe5df1-6423-ab1f-eee4-88f81468f7e8}"
  static let ignored = "{3d4af7e9-6f7b-393c-2d84-2a0595f4353d}"

  /// Crashes of a bucket as the report counts them (a dump once per night and build), in the
  /// given builds, straight from the database.
  static func crashes(_ db: Database, hash: String, builds: [String]? = nil) throws -> Int {
    var sql = """
      SELECT COUNT(*) FROM (SELECT DISTINCT o.dump_sha256, o.batch, a.build FROM occurrences o
        JOIN archives a ON a.sha256 = o.archive_sha256
        JOIN buckets b ON b.dump_sha256 = o.dump_sha256 WHERE b.failure_id_hash = ?
      """
    var arguments: [any DatabaseValueConvertible] = [hash]
    if let builds {
      sql += " AND a.build IN (\(databaseQuestionMarks(count: builds.count)))"
      arguments += builds
    }
    return try Int.fetchOne(db, sql: sql + ")", arguments: StatementArguments(arguments)) ?? -1
  }

  @Test("regressed after fix, fixed, ignored; alerts.json and digest.md; --fail-on exits 3")
  func sampleAnnotations() throws {
    let workspace = TemporaryDirectory()
    let manifest = "\(Corpus.packageRoot)/corpus-manifest.json"
    let run = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace.path, "--quiet", "--fail-on",
      "regressed",
    ])
    // One upload is truncated on purpose (exit 1 alone); the regressed alert makes it 3.
    #expect(run.status == 3, "\(run.stderr)")
    #expect(
      run.stderr.contains(
        "alert: regressed: NULL_POINTER_READ_c0000005_contoso-app.exe!ReadSetting: marked fixed in contoso-4.2.0"
      ), "\(run.stderr)")
    let folder = "\(workspace.path)/report"
    let report =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/report.json"))) as? [String: Any]
    let buckets = report?["buckets"] as? [[String: Any]] ?? []
    func bucket(_ hash: String) -> [String: Any] {
      buckets.first { $0["failure_id_hash"] as? String == hash } ?? [:]
    }
    let queue = try DatabaseQueue(path: "\(workspace.path)/crashsift.sqlite")
    let (sinceFix, total, ignoredCrashes) = try queue.read { db in
      (
        try Self.crashes(db, hash: Self.readSetting, builds: ["contoso-4.2.0", "contoso-4.2.1"]),
        try Int.fetchOne(
          db,
          sql: """
            SELECT COUNT(*) FROM (SELECT DISTINCT o.dump_sha256, o.batch, a.build FROM occurrences o
              JOIN archives a ON a.sha256 = o.archive_sha256
              JOIN buckets b ON b.dump_sha256 = o.dump_sha256)
            """) ?? -1,
        try Self.crashes(db, hash: Self.ignored)
      )
    }
    // Fixed in the middle build, crashing in it and in the newest: regressed.
    #expect(sinceFix > 0)
    #expect(bucket(Self.readSetting)["crashes_since_fix"] as? Int == sinceFix)
    #expect(bucket(Self.readSetting)["regressed_after_fix"] as? Bool == true)
    let annotation = bucket(Self.readSetting)["annotation"] as? [String: Any]
    #expect(annotation?["owner"] as? String == "app-team")
    // Annotated by Socorro signature: every bucket whose most common signature is crashme.exe.
    let signed = buckets.filter { $0["socorro_signature"] as? String == "crashme.exe" }
    #expect(signed.count >= 3)
    for item in signed {
      let top = try queue.read { db in
        try String.fetchOne(
          db,
          sql: """
            SELECT socorro_signature FROM buckets WHERE failure_id_hash = ?
            GROUP BY socorro_signature ORDER BY COUNT(*) DESC, socorro_signature LIMIT 1
            """, arguments: [item["failure_id_hash"] as? String ?? ""])
      }
      #expect(top == "crashme.exe")
      #expect((item["annotation"] as? [String: Any])?["owner"] as? String == "qa-tools")
    }
    // Fixed in the newest build, with no crash in it: not regressed.
    #expect(bucket(Self.dispatch)["crashes_since_fix"] as? Int == 0)
    #expect(bucket(Self.dispatch)["regressed_after_fix"] as? Bool == false)

    // Ignored: in no Top Crashers table and no alert, but its crashes are in the totals.
    #expect(ignoredCrashes > 0)
    #expect(bucket(Self.ignored)["crashes"] as? Int == ignoredCrashes)
    for name in ["top-1.csv", "top-7.csv", "top-28.csv"] {
      let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
      #expect(!text.contains("AV_netfilt!ReadHeaderWord"), "\(name)")
    }
    let nights = (report?["nights"] as? [[String: Any]] ?? []).reduce(0) {
      $0 + ($1["crashes"] as? Int ?? 0)
    }
    #expect(nights == total)

    // New with a release: a bucket whose crashes are all in the newest build (from the database)
    // is new_in_build, and alerted as new.
    let builds = ["contoso-4.1.9", "contoso-4.2.0", "contoso-4.2.1"]
    var newInBuild: [String] = []
    for item in buckets {
      let hash = item["failure_id_hash"] as? String ?? ""
      let seen = try queue.read { db in
        try String.fetchAll(
          db,
          sql: """
            SELECT DISTINCT a.build FROM occurrences o JOIN archives a ON a.sha256 = o.archive_sha256
            JOIN buckets b ON b.dump_sha256 = o.dump_sha256
            WHERE b.failure_id_hash = ? AND a.build IS NOT NULL
            """, arguments: [hash])
      }
      #expect(item["first_build"] as? String == builds.first { seen.contains($0) }, "\(hash)")
      let expected = Set(seen) == [builds[2]]
      #expect(item["new_in_build"] as? Bool == expected, "\(hash) \(seen)")
      if expected { newInBuild.append(item["failure_bucket_id"] as? String ?? "") }
    }
    #expect(newInBuild.count >= 3)

    // alerts.json: regressed (after fix) first; nothing about the ignored bucket.
    let alerts =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/alerts.json"))) as? [String: Any]
    let list = alerts?["alerts"] as? [[String: Any]] ?? []
    #expect(list.first?["kind"] as? String == "regressed")
    #expect(
      list.first?["subject"] as? String == "NULL_POINTER_READ_c0000005_contoso-app.exe!ReadSetting")
    #expect(list.first?["crashes"] as? Int == sinceFix)
    #expect(!list.contains { ($0["subject"] as? String)?.contains("ReadHeaderWord") == true })
    for id in newInBuild {
      #expect(
        list.contains { $0["subject"] as? String == id && $0["kind"] as? String == "new" }, "\(id)")
    }
    let digest = try String(contentsOfFile: "\(folder)/digest.md", encoding: .utf8)
    #expect(digest.split(separator: "\n").filter { $0.hasPrefix("- **") }.count == list.count)
    #expect(digest.contains("([open](buckets/233be711-1e68-9500-6911-5f20d36ffce5.html))"))

    // The pages: the index leads with the alerts and shows the states; the bucket page the notes.
    let index = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
    let attention = try #require(index.range(of: "<h2>Needs attention</h2>"))
    let summary = try #require(index.range(of: "<h2>This run</h2>"))
    #expect(attention.lowerBound < summary.lowerBound)
    #expect(index.contains("regressed after fix in contoso-4.2.0 (\(sinceFix) crashes since)"))
    #expect(index.contains("ignored: third-party packet filter"))
    #expect(
      index.contains(
        #"<a href="https://bugs.contoso.example/show_bug.cgi?id&#61;4711">"#)
        || index.contains(#"<a href="https://bugs.contoso.example/show_bug.cgi?id=4711">"#))
    let page = try String(
      contentsOfFile: "\(folder)/buckets/233be711-1e68-9500-6911-5f20d36ffce5.html",
      encoding: .utf8)
    #expect(page.contains("regressed: \(sinceFix) crashes in that build or later"))
    #expect(page.contains("null check added"))

    // report --fail-on: 3 when a named alert is present, 0 when none is, 2 for a wrong name.
    let common = ["report", "--manifest", manifest, "--workspace", workspace.path]
    #expect(try CrashsiftBinary.run(common + ["--fail-on", "new"]).status == 3)
    #expect(try CrashsiftBinary.run(common + ["--fail-on", "spiking"]).status == 0)
    let wrong = try CrashsiftBinary.run(common + ["--fail-on", "regresed"])
    #expect(wrong.status == 2)
    #expect(wrong.stderr.contains("expected some of regressed, new, spiking, driver-rate"))
    let noReport = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace.path, "--no-report", "--fail-on",
      "new",
    ])
    #expect(noReport.status == 2)
  }

  @Test("a wrong annotations file stops run before its stages, with every problem named")
  func badAnnotations() throws {
    let dir = TemporaryDirectory()
    let root = Corpus.packageRoot
    _ = try SampleManifest.make(in: dir)
    try Data(
      """
      {"version": 1, "buckets": {
        "not-a-hash": {"owner": "x"},
        "{233BE711-1E68-9500-6911-5F20D36FFCE5}": {"fixed_in": "contoso-9.9"},
        "f6fe5df1-6423-ab1f-eee4-88f81468f7e8": {"fixed-in": "contoso-4.2.1"}
      }}
      """.utf8
    ).write(to: URL(fileURLWithPath: dir.file("pipelines/annotations.json")))
    let run = try CrashsiftBinary.run([
      "run", "--manifest", dir.file("manifest.json"), "--workspace", dir.file("out"), "--quiet",
    ])
    #expect(run.status == 2, "\(run.stderr)")
    #expect(run.stderr.contains("buckets.not-a-hash: not a FAILURE_ID_HASH"), "\(run.stderr)")
    #expect(
      run.stderr.contains(
        "fixed_in: \"contoso-9.9\" is not one of the manifest's builds (contoso-4.1.9, contoso-4.2.0, contoso-4.2.1)"
      ), "\(run.stderr)")
    #expect(run.stderr.contains(#"fixed-in: unknown key (did you mean "fixed_in"?)"#))
    // Nothing was ingested: the stages never started.
    let status = try CrashsiftBinary.run([
      "status", "--manifest", dir.file("manifest.json"), "--workspace", dir.file("out"), "--json",
    ])
    let document =
      try? JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
    #expect((document?["dumps"] as? Int ?? 0) == 0, "\(status.stdout) \(status.stderr)")

    // The annotations are the pipeline's in use: with --pipeline naming one without them, the
    // broken file beside the manifest's pipeline is not read.
    try FileManager.default.createDirectory(
      atPath: dir.file("other"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      atPath: dir.file("other/rules"), withDestinationPath: "\(root)/pipelines/rules")
    try FileManager.default.copyItem(
      atPath: "\(root)/pipelines/nightly.json", toPath: dir.file("other/nightly.json"))
    let other = try CrashsiftBinary.run([
      "run", "--manifest", dir.file("manifest.json"), "--workspace", dir.file("out"), "--quiet",
      "--pipeline", dir.file("other/nightly.json"),
    ])
    #expect(other.status == 1, "\(other.stderr)")  // the samples' truncated upload, nothing else
    #expect(!other.stderr.contains("annotations"), "\(other.stderr)")
  }
}
