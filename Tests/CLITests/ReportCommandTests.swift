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
  @Test("forge --scale 80, run, report: nights, buckets and drivers agree with the database")
  func report() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "80", "-o", dir.path, "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    let manifest = dir.file("manifest.json")
    #expect(try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"]).status == 0)
    let report = try CrashsiftBinary.run(["report", "--manifest", manifest])
    #expect(report.status == 0, "\(report.stderr)")
    func rows(_ name: String) throws -> [[String]] {
      let text = try String(contentsOfFile: dir.file("out/report/\(name)"), encoding: .utf8)
      #expect(text.hasSuffix("\r\n"))
      return text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map {
        $0.components(separatedBy: ",")
      }
    }
    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    let perBucket = try queue.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT b.failure_bucket_id AS id, COUNT(DISTINCT o.dump_sha256 || o.batch) AS n
          FROM buckets b JOIN occurrences o ON o.dump_sha256 = b.dump_sha256 GROUP BY 1
          """)
    }
    let buckets = try rows("buckets.csv")
    #expect(buckets.count == perBucket.count)
    for row in perBucket {
      let id: String = row["id"]
      let n: Int = row["n"]
      #expect(buckets.contains { $0[0] == id && $0[2] == String(n) }, "\(id)")
    }
    let nights = try rows("nights.csv")
    #expect(nights.reduce(0) { $0 + (Int($1[1]) ?? 0) } == 80)
    let drivers = try rows("drivers.csv")
    #expect(drivers.reduce(0) { $0 + (Int($1[2]) ?? 0) } == 80)
    // Every rated row has its interval around the rate.
    for row in drivers where !row[4].isEmpty {
      let (rate, low, high) = (Double(row[4]) ?? -1, Double(row[5]) ?? -1, Double(row[6]) ?? -1)
      #expect(low <= rate && rate <= high, "\(row)")
    }
    #expect(FileManager.default.fileExists(atPath: dir.file("out/report/report.json")))
  }
}

/// The HTML pages: well-formed, self-contained, and every string from a dump escaped.
@Suite("report pages")
struct ReportPagesTests {
  @Test("index and bucket pages parse, need no script or network, and show hostile names as text")
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
          UPDATE symbolized_frames SET module = '<img src=x onerror=alert(1)>'
          WHERE dump_sha256 = (SELECT MIN(dump_sha256) FROM buckets)
          """)
    }
    #expect(try CrashsiftBinary.run(["report", "--manifest", manifest]).status == 0)
    let folder = dir.file("out/report")
    var pages = ["\(folder)/index.html"]
    pages += try FileManager.default.contentsOfDirectory(atPath: "\(folder)/buckets").map {
      "\(folder)/buckets/\($0)"
    }
    #expect(pages.count > 5)
    for page in pages {
      let html = try String(contentsOfFile: page, encoding: .utf8)
      let parser = XMLParser(data: Data(html.utf8))
      #expect(parser.parse(), "\(page): \(String(describing: parser.parserError))")
      #expect(!html.contains("<script"), "\(page)")
      #expect(!html.contains("<img"), "\(page)")
      #expect(!html.contains("http://evil\"") || html.contains("&quot;"), "\(page)")
      #expect(!html.contains("src=\"http"), "no external resources: \(page)")
    }
    let index = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
    #expect(index.contains("&lt;script&gt;"))
    let csv = try String(contentsOfFile: "\(folder)/buckets.csv", encoding: .utf8)
    #expect(csv.contains(#""'<script>alert(""x"")</script>=HYPERLINK(""http://evil"")""#) == false)
    #expect(csv.contains("<script>alert(\"\"x\"\")"))
    let drivers = try String(contentsOfFile: "\(folder)/drivers.csv", encoding: .utf8)
    #expect(drivers.contains("'=cmd|"))
  }
}
