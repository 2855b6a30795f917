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
    "reports/*.mustache and style.css equal their compiled copies (scripts/gen-embedded-rules.sh)")
  func embedded() throws {
    let folder = "\(Corpus.packageRoot)/reports"
    for (name, compiled) in [
      ("index.mustache", ReportTemplates.index), ("bucket.mustache", ReportTemplates.bucket),
      ("style.css", ReportTemplates.style),
    ] {
      let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
      #expect(
        text.trimmingCharacters(in: .whitespacesAndNewlines)
          == compiled.trimmingCharacters(in: .whitespacesAndNewlines), "\(name)")
    }
  }
}
