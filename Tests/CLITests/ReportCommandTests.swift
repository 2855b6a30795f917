import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// `crashsift report` on a forged corpus: every number in the CSV files checked against the
/// database.
@Suite("report command")
struct ReportCommandTests {
  @Test("forge --scale 80, run: every CSV and every number of the pages agree with the database")
  func report() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "80", "-o", dir.path, "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    let manifest = dir.file("manifest.json")
    // `run` writes the report as its last stage.
    #expect(try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"]).status == 0)
    let folder = dir.file("out/report")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    var written: [String: String] = [:]
    for name in files where name.hasSuffix(".csv") || name.hasSuffix(".json") {
      written[name] = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
    }
    // `report` on the same database writes the same files.
    let report = try CrashsiftBinary.run(["report", "--manifest", manifest])
    #expect(report.status == 0, "\(report.stderr)")
    for (name, text) in written {
      #expect(try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) == text, "\(name)")
    }
    func rows(_ name: String) throws -> [[String]] {
      let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
      #expect(text.hasSuffix("\r\n"))
      return text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map {
        $0.components(separatedBy: ",")
      }
    }
    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    // The truth, computed here from the database: crashes and machines per bucket and driver.
    let occurrences = try queue.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT b.failure_id_hash AS hash, b.image_name AS image, a.build, o.dump_sha256 AS dump,
            o.entry_path AS entry
          FROM buckets b JOIN occurrences o ON o.dump_sha256 = b.dump_sha256
          JOIN archives a ON a.sha256 = o.archive_sha256
          """)
    }
    func machine(_ entry: String) -> String {
      guard let range = entry.range(of: "PC-[0-9]+", options: .regularExpression) else { return "" }
      return String(entry[range])
    }
    var crashes: [String: Set<String>] = [:]
    var machines: [String: Set<String>] = [:]
    for row in occurrences {
      for key in [row["hash"] as String, "\(row["build"] as String)/\(row["image"] as String)"] {
        crashes[key, default: []].insert(row["dump"])
        machines[key, default: []].insert(machine(row["entry"]))
      }
    }
    let buckets = try rows("buckets.csv")
    #expect(buckets.count == Set(occurrences.map { $0["hash"] as String }).count)
    for row in buckets {
      #expect(row[4] == String(crashes[row[1]]?.count ?? -1), "\(row)")
      #expect(row[5] == String(machines[row[1]]?.count ?? -1), "\(row)")
    }
    #expect(machines.values.contains { $0.count < 80 })
    let nights = try rows("nights.csv")
    #expect(nights.reduce(0) { $0 + (Int($1[1]) ?? 0) } == 80)
    let drivers = try rows("drivers.csv")
    #expect(drivers.reduce(0) { $0 + (Int($1[2]) ?? 0) } == 80)
    // Shares add up to one per build.
    for (build, group) in Dictionary(grouping: drivers, by: { $0[0] }) {
      let total = group.reduce(0.0) { $0 + (Double($1[3]) ?? 0) }
      #expect(abs(total - 1) < 0.01, "\(build): \(total)")
    }
    for row in drivers {
      #expect(row[2] == String(crashes["\(row[0])/\(row[1])"]?.count ?? -1), "\(row)")
      #expect(row[4] == String(machines["\(row[0])/\(row[1])"]?.count ?? -1), "\(row)")
      // Every rated row has its interval around the rate.
      guard !row[6].isEmpty else { continue }
      let (rate, low, high) = (Double(row[6]) ?? -1, Double(row[7]) ?? -1, Double(row[8]) ?? -1)
      #expect(low <= rate && rate <= high, "\(row)")
    }
    // Examples: real occurrences, at most 10 per bucket and offset.
    let examples = try rows("examples.csv")
    #expect(!examples.isEmpty)
    for (_, group) in Dictionary(grouping: examples, by: { "\($0[0]) \($0[1])" }) {
      #expect(group.count <= 10)
    }
    for row in examples {
      #expect(
        occurrences.contains {
          ($0["dump"] as String) == row[7] && ($0["entry"] as String) == row[6]
        },
        "\(row)")
    }
    let summary = Dictionary(uniqueKeysWithValues: try rows("summary.csv").map { ($0[0], $0[1]) })
    let counts = try queue.read { db in
      (
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM archives") ?? -1,
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? -1,
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM buckets") ?? -1
      )
    }
    #expect(summary["archives"] == String(counts.0))
    #expect(summary["dumps"] == String(counts.1))
    #expect(summary["bucketed"] == String(counts.2))

    // The pages show the same numbers.
    let index = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
    let tables = try #require(HTMLTables.parse(index))
    // The run summary table (the page leads with the alerts' table when there are alerts).
    let cells = tables.first { $0.contains { $0.contains("archives read") } } ?? []
    func figure(_ label: String) -> String? {
      for row in cells {
        if let at = row.firstIndex(of: label), at + 1 < row.count { return row[at + 1] }
      }
      return nil
    }
    #expect(figure("archives read") == String(counts.0))
    #expect(figure("distinct dumps") == String(counts.1))
    #expect(figure("dumps bucketed") == String(counts.2))
    let bucketTable = try #require(tables.first { $0.first?.contains("FAILURE_ID_HASH") == true })
    #expect(bucketTable.count - 1 == buckets.count)
    for row in bucketTable.dropFirst() {
      #expect(row[3] == String(crashes[row[2]]?.count ?? -1), "\(row)")
      #expect(row[4] == String(machines[row[2]]?.count ?? -1), "\(row)")
    }
    let driverTable = try #require(tables.first { $0.first?.contains("machine-days") == true })
    #expect(driverTable.count - 1 == drivers.count)
    for row in driverTable.dropFirst() {
      #expect(row[2] == String(crashes["\(row[0])/\(row[1])"]?.count ?? -1), "\(row)")
    }
    for bucket in buckets {
      let page = "\(folder)/buckets/\(bucket[1].filter { $0.isHexDigit || $0 == "-" }).html"
      let html = try String(contentsOfFile: page, encoding: .utf8)
      let pageTables = try #require(HTMLTables.parse(html), "\(page)")
      let perBuild = try #require(pageTables.first { $0.first == ["build", "crashes"] })
      let total = perBuild.dropFirst().reduce(0) { $0 + (Int($1[1]) ?? 0) }
      #expect(total == crashes[bucket[1]]?.count, "\(page)")
    }
  }
}

/// The HTML pages: well-formed, self-contained, and every string from a dump escaped.
@Suite("report pages")
struct ReportPagesTests {
  @Test(
    "index and bucket pages parse, run only their own table script, and show hostile names as text")
  func pages() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "40", "-o", dir.path, "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    let manifest = dir.file("manifest.json")
    #expect(try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"]).status == 0)
    // A dump whose names were chosen by an attacker.
    let hostile = #"<script>alert("x")</script>=HYPERLINK("http://evil")"#
    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    try queue.write { db in
      try db.execute(
        sql: """
          UPDATE buckets SET failure_bucket_id = ?, image_name = ?
          WHERE dump_sha256 = (SELECT MIN(dump_sha256) FROM buckets)
          """, arguments: [hostile, "=cmd|' /C calc'!A0"])
      try db.execute(
        sql: """
          UPDATE crash_stacks SET frames = (
            SELECT json_group_array(json_set(value, '$[3]', '<img src=x onerror=alert(1)>'))
            FROM json_each(frames))
          WHERE dump_sha256 = (SELECT MIN(dump_sha256) FROM buckets)
          """)
    }
    #expect(try CrashsiftBinary.run(["report", "--manifest", manifest]).status == 0)
    let folder = dir.file("out/report")
    var pages = ["\(folder)/index.html", "\(folder)/failures.html", "\(folder)/symbols.html"]
    pages += try FileManager.default.contentsOfDirectory(atPath: "\(folder)/buckets").map {
      "\(folder)/buckets/\($0)"
    }
    #expect(pages.count > 5)
    // The one script a page may hold is the table script of reports/tables.js, allowed by the
    // page's policy; the browser test shows the policy lets it run and blocks everything else.
    var script = try String(
      contentsOfFile: "\(Corpus.packageRoot)/reports/tables.js", encoding: .utf8)
    if script.hasSuffix("\n") { script.removeLast() }
    for page in pages {
      let html = try String(contentsOfFile: page, encoding: .utf8)
      let parser = XMLParser(data: Data(html.utf8))
      #expect(parser.parse(), "\(page): \(String(describing: parser.parserError))")
      #expect(html.components(separatedBy: "<script").count == 2, "\(page)")
      #expect(html.contains("<script>\(script)</script>"), "\(page)")
      #expect(
        html.contains(
          #"<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-"#
        ), "\(page)")
      #expect(!html.contains("<img"), "\(page)")
      #expect(!html.contains("http://evil\"") || html.contains("&quot;"), "\(page)")
      #expect(!html.contains("src=\"http"), "no external resources: \(page)")
    }
    // The hostile module name reached a bucket page's stack, escaped.
    #expect(
      pages.contains {
        (try? String(contentsOfFile: $0, encoding: .utf8))?.contains(
          "&lt;img src=x onerror=alert(1)&gt;") == true
      })
    let index = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
    #expect(index.contains("&lt;script&gt;"))
    let csv = try String(contentsOfFile: "\(folder)/buckets.csv", encoding: .utf8)
    #expect(csv.contains(#""'<script>alert(""x"")</script>=HYPERLINK(""http://evil"")""#) == false)
    #expect(csv.contains("<script>alert(\"\"x\"\")"))
    let drivers = try String(contentsOfFile: "\(folder)/drivers.csv", encoding: .utf8)
    #expect(drivers.contains("'=cmd|"))
  }
}

/// The pages in a real browser: headless Chromium loads them with no console message and no
/// request at all, and the screenshots are kept in .build/report-screenshots/ for a look.
@Suite("report in a browser")
struct ReportBrowserTests {
  @Test(
    "index, a bucket page, failures and symbols render in Chromium without errors or requests",
    .requires(HeadlessChromium.requirement))
  func chromium() throws {
    var chromium = try HeadlessChromium.find()
    let shots = "\(Corpus.packageRoot)/.build/report-screenshots"
    try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
    // The harness must see what it is meant to catch: a page with a console error, a missing
    // image and an external one.
    let dir = TemporaryDirectory()
    try chromium.calibrate(scratch: dir)
    let bad = dir.file("bad.html")
    try #"""
    <!DOCTYPE html><html><head><meta charset="utf-8"/><title>bad</title></head><body>
    <img src="missing.png"/><img src="http://example.com/a.png"/>
    <script>console.error("boom")</script></body></html>
    """#.write(toFile: bad, atomically: true, encoding: .utf8)
    let control = try chromium.render(bad, screenshot: "\(shots)/control.png", height: 300)
    #expect(control.consoleMessages.contains { $0.contains("boom") }, "\(control.log)")
    #expect(control.requests.contains { $0.hasSuffix("/missing.png") }, "\(control.log)")
    #expect(control.requests.contains("http://example.com/a.png"), "\(control.log)")

    // The embedded sample corpus: a failed upload and modules without symbols fill every page.
    let run = try CrashsiftBinary.run([
      "run", "--manifest", "\(Corpus.packageRoot)/corpus-manifest.json", "--workspace",
      dir.file("out"), "--quiet",
    ])
    #expect(run.status == 1, "one sample upload is truncated on purpose: \(run.stderr)")
    #expect(run.stderr.contains("report: not written") == false, "\(run.stderr)")
    let folder = dir.file("out/report")
    let bucket = try #require(
      try FileManager.default.contentsOfDirectory(atPath: "\(folder)/buckets").sorted().first)
    for (page, shot) in [
      ("index.html", "index.png"), ("buckets/\(bucket)", "bucket.png"),
      ("failures.html", "failures.png"), ("symbols.html", "symbols.png"),
      ("drivers/crashdrv.sys.html", "driver.png"),
    ] {
      let outcome = try chromium.render("\(folder)/\(page)", screenshot: "\(shots)/\(shot)")
      #expect(outcome.consoleMessages.isEmpty, "\(page): \(outcome.consoleMessages)")
      #expect(outcome.requests.isEmpty, "\(page): \(outcome.requests)")
      // A blank page compresses to a few kilobytes; a rendered report does not.
      #expect(outcome.screenshotBytes > 20_000, "\(page): \(outcome.screenshotBytes) bytes")
    }
  }
}
