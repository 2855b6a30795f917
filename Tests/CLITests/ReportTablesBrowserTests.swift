import CrashsiftTestSupport
import Foundation
import Testing

/// The report's tables in a real browser, used as a reader uses them: Chromium, driven over the
/// DevTools protocol, clicks column headers and types in filter boxes, and the test reads the rows
/// the page then shows and checks them against the rows the HTML holds. With scripts disabled the
/// same pages must show every row.
@Suite("report tables in a browser")
struct ReportTablesBrowserTests {
  /// JavaScript (for DevTools' evaluation, not the page) naming the table whose header row
  /// contains `header`, and its shown rows as cell texts.
  static func table(_ header: String) throws -> String {
    let literal = try DevToolsBrowser.literal(header)
    return """
      Array.from(document.querySelectorAll("table")).find(function (t) {
        return t.rows.length > 0 && Array.from(t.rows[0].cells).some(function (c) {
          return c.textContent.trim() === \(literal);
        });
      })
      """
  }

  static func shownRows(_ table: String) -> String {
    """
    Array.from((\(table)).rows).slice(1).filter(function (r) {
      return !r.hidden && r.getClientRects().length > 0;
    }).map(function (r) {
      return Array.from(r.cells).map(function (c) { return c.textContent.replace(/\\s+/g, " ").trim(); });
    })
    """
  }

  static func headerCell(_ table: String, _ column: Int) -> String {
    "(\(table)).rows[0].cells[\(column)]"
  }

  static func number(_ text: String) -> Double? {
    Double(text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "%", with: ""))
  }

  /// The rows of `rows` in a stable order by `key` (ties keep the page's order), the way a
  /// reader expects a sorted table to look.
  static func stable<Key: Comparable>(
    _ rows: [[String]], descending: Bool = false, by key: ([String]) -> Key
  ) -> [[String]] {
    rows.enumerated().sorted { a, b in
      let left = key(a.element)
      let right = key(b.element)
      if left != right { return descending ? left > right : left < right }
      return a.offset < b.offset
    }.map(\.element)
  }

  @Test(
    "clicking headers sorts, typing filters, no errors or requests; without scripts every row shows",
    .requires(HeadlessChromium.requirement))
  func sortAndFilter() throws {
    let chromium = try HeadlessChromium.find()
    let shots = "\(Corpus.packageRoot)/.build/report-screenshots"
    try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
    let dir = TemporaryDirectory()
    let browser = try DevToolsBrowser(executable: chromium.executable)
    defer { browser.quit() }

    // The harness must see what it is meant to catch: a blocked inline script, a console
    // message and a request.
    let bad = dir.file("bad.html")
    try #"""
    <!DOCTYPE html><html><head><meta charset="utf-8"/>
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-AAAA'"/>
    <title>bad</title></head><body><img src="missing.png"/><script>console.log("ran")</script>
    </body></html>
    """#.write(toFile: bad, atomically: true, encoding: .utf8)
    try browser.open(bad)
    try browser.settle()
    #expect(
      browser.problems.contains { $0.hasPrefix("log error:") && $0.contains("inline script") })
    #expect(browser.problems.contains { $0.hasPrefix("request:") && $0.hasSuffix("missing.png") })
    let allowed = dir.file("allowed.html")
    try #"<!DOCTYPE html><html><body><script>console.log("ran")</script></body></html>"#
      .write(toFile: allowed, atomically: true, encoding: .utf8)
    try browser.open(allowed)
    try browser.settle()
    #expect(browser.problems == ["console.log: ran"])

    // A forged workspace: enough buckets and drivers for long tables.
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "40", "-o", dir.path, "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    #expect(
      try CrashsiftBinary.run(["run", "--manifest", dir.file("manifest.json"), "--quiet"]).status
        == 0)
    let folder = dir.file("out/report")
    let index = "\(folder)/index.html"
    let tables = try #require(HTMLTables.parse(String(contentsOfFile: index, encoding: .utf8)))
    let bucketTable = try #require(tables.first { $0.first?.contains("FAILURE_ID_HASH") == true })
    let header = bucketTable[0]
    let rows = Array(bucketTable.dropFirst())
    #expect(rows.count >= 8, "the forged night must give a table long enough for a filter box")
    let hash = try #require(header.firstIndex(of: "FAILURE_ID_HASH"))
    let crashes = try #require(header.firstIndex(of: "crashes"))
    let firstSeen = try #require(header.firstIndex(of: "first seen"))
    let buckets = try Self.table("FAILURE_ID_HASH")

    try browser.open(index)
    func shown() throws -> [[String]] {
      try #require(try browser.evaluate(Self.shownRows(buckets)) as? [[String]])
    }
    func ariaSort(_ column: Int) throws -> String? {
      try browser.evaluate("\(Self.headerCell(buckets, column)).getAttribute('aria-sort')")
        as? String
    }
    #expect(try shown().map { $0[hash] } == rows.map { $0[hash] }, "the page's own order first")

    try browser.click(Self.headerCell(buckets, crashes))
    let ascending = Self.stable(rows) { Self.number($0[crashes]) ?? -1 }
    #expect(try shown().map { $0[hash] } == ascending.map { $0[hash] })
    #expect(try ariaSort(crashes) == "ascending")
    try browser.click(Self.headerCell(buckets, crashes))
    let descending = Self.stable(rows, descending: true) { Self.number($0[crashes]) ?? -1 }
    #expect(try shown().map { $0[hash] } == descending.map { $0[hash] })
    #expect(try ariaSort(crashes) == "descending")
    // Dates as text; ties keep the order the page had before this click (the report's own).
    try browser.click(Self.headerCell(buckets, firstSeen))
    #expect(try shown().map { $0[hash] } == Self.stable(rows) { $0[firstSeen] }.map { $0[hash] })
    #expect(try ariaSort(crashes) == "none")

    // Filtering: a word from some bucket names but not all, typed in capitals, then a second
    // word; a row stays when every word is in one of its cells, ignoring case.
    func matches(_ row: [String], _ words: [String]) -> Bool {
      let text = row.joined(separator: " ").lowercased()
      return words.allSatisfy { text.contains($0.lowercased()) }
    }
    let words = Set(
      rows.flatMap { $0[1].split { !$0.isLetter && !$0.isNumber }.map(String.init) }
    ).sorted()
    let first = try #require(
      words.first { word in
        guard word.count >= 4, word.contains(where: \.isLetter) else { return false }
        let count = rows.filter { matches($0, [word]) }.count
        return count >= 2 && count < rows.count
      }, "no word in the bucket names narrows the table")
    try browser.click("(\(buckets)).previousElementSibling.querySelector('input')")
    try browser.type(first.uppercased())
    let expectedFirst = Self.stable(rows) { $0[firstSeen] }.filter { matches($0, [first]) }
    #expect(try shown().map { $0[hash] } == expectedFirst.map { $0[hash] })
    let status = try browser.evaluate(
      "(\(buckets)).previousElementSibling.querySelector('output').textContent")
    #expect(status as? String == "\(expectedFirst.count) of \(rows.count) rows")
    let second = expectedFirst[0][hash].prefix(6)
    try browser.type(" \(second)")
    #expect(
      try shown().map { $0[hash] }
        == expectedFirst.filter { matches($0, [first, String(second)]) }.map { $0[hash] })

    // Percentages sort as numbers in the drivers table.
    let driverRows = try #require(tables.first { $0.first?.contains("vs previous build") == true })
    let share = try #require(driverRows[0].firstIndex(of: "share of the build's crashes"))
    let drivers = try Self.table("share of the build's crashes")
    try browser.click(Self.headerCell(drivers, share))
    let shownDrivers = try #require(try browser.evaluate(Self.shownRows(drivers)) as? [[String]])
    let shares = shownDrivers.map { Self.number($0[share]) ?? -1 }
    #expect(shares == shares.sorted() && shares.count == driverRows.count - 1, "\(shares)")
    // Last: a full-page capture resizes the page for a moment.
    try browser.screenshot(to: "\(shots)/index-sorted-filtered.png")
    try browser.settle()
    #expect(browser.problems.isEmpty, "\(browser.problems)")

    // Every kind of page: the policy lets the table script run and nothing else happen.
    let bucketPage = try #require(
      try FileManager.default.contentsOfDirectory(atPath: "\(folder)/buckets").sorted().first)
    let driverPage = try #require(
      try FileManager.default.contentsOfDirectory(atPath: "\(folder)/drivers").sorted().first)
    let pages = [
      "index.html", "buckets/\(bucketPage)", "drivers/\(driverPage)", "failures.html",
      "symbols.html",
    ]
    for page in pages {
      try browser.open("\(folder)/\(page)")
      try browser.settle()
      #expect(browser.problems.isEmpty, "\(page): \(browser.problems)")
      let sortable = try browser.evaluate("document.querySelectorAll('button.sort').length") as? Int
      let headed =
        try browser.evaluate(
          """
          Array.from(document.querySelectorAll("table:not(.summary)")).filter(function (t) {
            return t.rows.length > 2 && Array.from(t.rows[0].cells).every(function (c) {
              return c.tagName === "TH";
            });
          }).length
          """) as? Int
      #expect((headed ?? 0) == 0 || (sortable ?? 0) > 0, "\(page): the table script did not run")
    }

    // Scripts disabled: no filter box, no sort button, and every row of every table shown.
    for page in pages {
      let html = try String(contentsOfFile: "\(folder)/\(page)", encoding: .utf8)
      let expected = try #require(HTMLTables.parse(html)).map { $0.count }
      try browser.open("\(folder)/\(page)", scripts: false)
      let counts =
        try browser.evaluate(
          """
          Array.from(document.querySelectorAll("table")).map(function (t) {
            return Array.from(t.rows).filter(function (r) {
              return !r.hidden && r.getClientRects().length > 0;
            }).length;
          })
          """) as? [Int]
      #expect(counts == expected, "\(page)")
      let added = try browser.evaluate("document.querySelectorAll('p.filter, button.sort').length")
      #expect(added as? Int == 0, "\(page)")
      try browser.settle()
      #expect(browser.problems.isEmpty, "\(page): \(browser.problems)")
      if page == "index.html" { try browser.screenshot(to: "\(shots)/index-no-script.png") }
    }
  }
}
