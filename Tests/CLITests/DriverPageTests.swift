import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@testable import Reports

/// One page per blamed driver: the forest plot and table of its rates per build, its versions and
/// the buckets it is blamed for per build, every number checked against drivers.csv and the
/// database.
@Suite("driver pages")
struct DriverPageTests {
  @Test("page names from hostile image names stay inside drivers/ and never collide")
  func pageNames() {
    #expect(HTMLReport.driverPage("crashdrv.sys") == "crashdrv.sys.html")
    let evil = ["../../etc/passwd", "a/b", "a\\b", "<script>.sys", "..", ".hidden", "", "é.sys"]
    let pages = evil.map(HTMLReport.driverPage)
    for page in pages {
      #expect(!page.contains("/") && !page.contains("\\") && !page.hasPrefix("."), "\(page)")
      #expect(page.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
    }
    #expect(Set(pages).count == pages.count)
    #expect(HTMLReport.driverPage("a_b") != HTMLReport.driverPage("a/b"))
  }

  @Test(
    "the sample corpus: every blamed image has a page whose numbers equal drivers.csv and the database"
  )
  func samplePages() throws {
    let workspace = TemporaryDirectory()
    let run = try CrashsiftBinary.run([
      "run", "--manifest", "\(Corpus.packageRoot)/corpus-manifest.json", "--workspace",
      workspace.path, "--quiet",
    ])
    #expect(run.status == 1, "\(run.stderr)")  // the samples' truncated upload
    let folder = "\(workspace.path)/report"
    let report =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/report.json"))) as? [String: Any]
    let drivers = report?["drivers"] as? [[String: Any]] ?? []
    #expect(drivers.count >= 5)
    let index = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
    let queue = try DatabaseQueue(path: "\(workspace.path)/crashsift.sqlite")
    let csv = try String(contentsOfFile: "\(folder)/drivers.csv", encoding: .utf8)
      .split(separator: "\r\n").dropFirst().map {
        $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      }
    for driver in drivers {
      let image = driver["image"] as? String ?? ""
      let page = HTMLReport.driverPage(image)
      #expect(index.contains("href=\"drivers/\(page)\""), "\(image)")
      let html = try String(contentsOfFile: "\(folder)/drivers/\(page)", encoding: .utf8)
      // Each build row of drivers.csv for this image is in the page's table and in the plot.
      for row in csv where row.count > 6 && row[1] == image {
        #expect(
          html.contains("<td>\(row[0])</td><td class=\"n\">\(row[2])</td>"), "\(image) \(row)")
        #expect(html.contains(">\(row[0])</text>"), "plot row for \(row[0])")
      }
      // The plot writes each rate from report.json's exact value.
      for rate in report?["rates"] as? [[String: Any]] ?? [] where rate["image"] as? String == image
      {
        guard let value = rate["rate"] as? Double else { continue }
        #expect(html.contains(">\(String(format: "%.2f", value)) ["), "\(image) \(rate)")
      }
      // Blamed buckets per build, from the database.
      for bucket in driver["buckets"] as? [[String: Any]] ?? [] {
        let hash = bucket["failure_id_hash"] as? String ?? ""
        for cell in bucket["per_build"] as? [[String: Any]] ?? [] {
          let build = cell["name"] as? String ?? ""
          let expected = try queue.read { db in
            try Int.fetchOne(
              db,
              sql: """
                SELECT COUNT(*) FROM (SELECT DISTINCT o.dump_sha256, o.batch, a.build
                  FROM occurrences o JOIN archives a ON a.sha256 = o.archive_sha256
                  JOIN buckets b ON b.dump_sha256 = o.dump_sha256
                  WHERE b.failure_id_hash = ? AND b.image_name = ? AND a.build = ?)
                """, arguments: [hash, image, build])
          }
          #expect(cell["crashes"] as? Int == expected, "\(image) \(hash) \(build)")
        }
      }
    }
  }
}
