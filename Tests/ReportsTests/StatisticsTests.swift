import CrashsiftTestSupport
import Foundation
import Testing

@testable import Reports

/// The intervals and tests against published worked values.
@Suite("report statistics")
struct StatisticsTests {
  static func close(_ a: Double, _ b: Double, _ tolerance: Double = 0.00006) -> Bool {
    abs(a - b) <= tolerance
  }

  @Test("Wilson intervals equal Newcombe (1998), table I, method 3")
  func wilson() {
    // Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 17:857.
    let cases: [(Int, Int, Double, Double)] = [
      (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0, 0.1611),
      (1, 29, 0.0061, 0.1718),
    ]
    for (successes, trials, low, high) in cases {
      let interval = Statistics.wilson(successes, trials)
      #expect(Self.close(interval.low, low), "\(successes)/\(trials) low \(interval.low)")
      #expect(Self.close(interval.high, high), "\(successes)/\(trials) high \(interval.high)")
    }
  }

  @Test("exact Poisson intervals equal the standard tables (Garwood)")
  func poisson() {
    // e.g. Ulm (1990) / the Garwood table: 0 → [0, 3.689], 1 → [0.0253, 5.572], 10 → [4.795, 18.390].
    let cases: [(Int, Double, Double)] = [
      (0, 0, 3.6889), (1, 0.0253, 5.5716), (10, 4.7954, 18.3904),
    ]
    for (count, low, high) in cases {
      let interval = Statistics.poisson(count)
      #expect(Self.close(interval.low, low, 0.0001), "\(count) low \(interval.low)")
      #expect(Self.close(interval.high, high, 0.0001), "\(count) high \(interval.high)")
    }
  }

  @Test("the exact rate test: equal rates give p = 1; 10 against 0 at equal exposure give 2/2^10")
  func rateRatio() {
    #expect(Self.close(Statistics.rateRatioPValue(7, 100, 7, 100), 1))
    #expect(Self.close(Statistics.rateRatioPValue(10, 100, 0, 100), 2.0 / 1024, 1e-9))
    // Twice the exposure with twice the count is no evidence of a change.
    #expect(Statistics.rateRatioPValue(20, 200, 10, 100) > 0.9)
  }

  @Test("CSV: RFC 4180 quoting, CRLF, and formula injection neutralised")
  func csv() {
    var csv = CSVWriter(header: ["bucket", "count"])
    csv.append(["=HYPERLINK(\"http://x\")", "3"])
    csv.append(["a,b", "-2"])
    csv.append(["<script>", "@sum"])
    #expect(
      csv.text
        == "bucket,count\r\n\"'=HYPERLINK(\"\"http://x\"\")\",3\r\n\"a,b\",-2\r\n<script>,'@sum\r\n"
    )
  }
}

/// The templates compiled into crashsift are the editable ones in reports/.
@Suite("report templates")
struct ReportTemplatesTests {
  @Test(
    "reports/*.mustache, style.css and tables.js equal their compiled copies (scripts/gen-embedded-rules.sh)"
  )
  func embedded() throws {
    let folder = "\(Corpus.packageRoot)/reports"
    for (name, compiled) in [
      ("index.mustache", ReportTemplates.index), ("bucket.mustache", ReportTemplates.bucket),
      ("failures.mustache", ReportTemplates.failures),
      ("symbols.mustache", ReportTemplates.symbols),
      ("driver.mustache", ReportTemplates.driver), ("style.css", ReportTemplates.style),
      ("tables.js", ReportTemplates.script),
    ] {
      let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
      #expect(
        text.trimmingCharacters(in: .whitespacesAndNewlines)
          == compiled.trimmingCharacters(in: .whitespacesAndNewlines), "\(name)")
    }
  }
}

/// New, regressed and spiking buckets, and Top Crashers windows, on hand-made counts.
@Suite("report trends")
struct ReportTrendsTests {
  static let nights = (1...9).map { "2026-11-0\($0)" }

  static func bucket(_ id: String, first: String) -> CrashReport.Bucket {
    CrashReport.Bucket(
      failureBucketID: id, failureIDHash: "", mode: "km", code: "0xD1", crashes: 0, machines: nil,
      firstNight: first,
      lastNight: "2026-11-09",
      lastNightCrashes: 0, isNew: first == "2026-11-09")
  }

  @Test(
    "a jump from ~1 a night to 10 spikes; 2 does not; first-seen is new; back after 3 quiet nights regressed"
  )
  func trends() {
    var counts: [String: [String: Int]] = [:]
    for night in Self.nights.dropLast() {
      counts["steady", default: [:]][night] = 1
      counts["jump", default: [:]][night] = 1
    }
    counts["steady", default: [:]]["2026-11-09"] = 2
    counts["jump", default: [:]]["2026-11-09"] = 10
    counts["fresh", default: [:]]["2026-11-09"] = 1
    counts["back", default: [:]]["2026-11-02"] = 4
    counts["back", default: [:]]["2026-11-09"] = 1
    let buckets = [
      Self.bucket("steady", first: "2026-11-01"), Self.bucket("jump", first: "2026-11-01"),
      Self.bucket("fresh", first: "2026-11-09"), Self.bucket("back", first: "2026-11-02"),
    ]
    let trends = CrashReport.trends(nights: Self.nights, counts: counts, buckets: buckets)
    let kinds = Dictionary(uniqueKeysWithValues: trends.map { ($0.failureBucketID, $0.kind) })
    #expect(kinds == ["jump": "spiking", "fresh": "new", "back": "regressed"])
    // P(X >= 10 | 1) = 1 - sum_{k<10} e^-1 / k! ≈ 1.114e-7.
    let p = trends.first { $0.kind == "spiking" }?.pValue ?? 1
    #expect(abs(p - 1.114e-7) < 1e-9)
  }

  @Test("Top Crashers: ranks in the window and in the one before")
  func windows() {
    let counts: [String: [String: Int]] = [
      "a": ["2026-11-08": 5, "2026-11-09": 1], "b": ["2026-11-08": 1, "2026-11-09": 3],
    ]
    let window = CrashReport.window(size: 1, nights: Self.nights, counts: counts)
    #expect(window.entries.map(\.failureBucketID) == ["b", "a"])
    #expect(window.entries.map(\.previousRank) == [2, 1])
    #expect(window.hasPrevious)
    #expect(!CrashReport.window(size: 28, nights: Self.nights, counts: counts).hasPrevious)
  }

  @Test("the machine of an upload: the first capture group, else the whole match, else none")
  func machines() throws {
    let grouped = try NSRegularExpression(pattern: "(PC-[0-9]+)/")
    #expect(CrashReport.machine(in: "PC-00042/Minidump/112226-1-01.dmp", grouped) == "PC-00042")
    #expect(CrashReport.machine(in: "Minidump/112226-1-01.dmp", grouped) == nil)
    let whole = try NSRegularExpression(pattern: "M-[0-9]{4}")
    #expect(CrashReport.machine(in: "WER/M-0003/app.dmp", whole) == "M-0003")
    // Builds in release order first, then by count.
    let counts = CrashReport.counts(["b2", "b1", "b2", "x", "x", "x"], order: ["b1", "b2"])
    #expect(counts.map(\.name) == ["b1", "b2", "x"])
    #expect(counts.map(\.crashes) == [1, 2, 3])
  }
}
