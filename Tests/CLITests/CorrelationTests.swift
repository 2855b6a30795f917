import CrashsiftTestSupport
import Foundation
import Testing

@testable import Reports

/// Correlations: a forged night where one third-party driver is loaded in 80% of one bucket's
/// crashes and 5% of the others' is found at the top of that bucket, and nowhere else.
@Suite("correlations")
struct CorrelationTests {
  @Test("Fisher's exact test, one-sided: the textbook values")
  func fisher() {
    // Fisher's tea-tasting table: 8 cups, 4 with milk first, 4 chosen, 3 right: 17/70.
    #expect(
      abs(
        Statistics.hypergeometricUpperTail(3, draws: 4, successes: 4, population: 8) - 17.0 / 70)
        < 1e-12)
    #expect(Statistics.hypergeometricUpperTail(0, draws: 4, successes: 4, population: 8) == 1)
    #expect(Statistics.hypergeometricUpperTail(5, draws: 4, successes: 4, population: 8) == 0)
    // 16 of 20 marked in the bucket, 2 of 40 outside; the exact value from Python's
    // fractions.Fraction over math.comb: 4.1348840530689895e-09.
    let p = Statistics.hypergeometricUpperTail(16, draws: 20, successes: 18, population: 60)
    #expect(abs(p - 4.134_884_053_068_989_5e-9) < 4.1e-18, "\(p)")
    // Large populations without overflow (the exact tail is below 1e-300).
    let large = Statistics.hypergeometricUpperTail(
      600, draws: 1000, successes: 5000, population: 100_000)
    #expect(large >= 0 && large < 1e-100, "\(large)")
  }

  @Test("a driver loaded in 16 of 20 crashes of one bucket and 2 of 40 elsewhere tops its list")
  func plantedDriver() throws {
    let dir = TemporaryDirectory()
    let root = Corpus.packageRoot
    let scenarios = "\(root)/samples/scenarios"
    var files: [String] = []
    // Bucket A: crashdrv's CopyRecord; bucket B: netfilt's ReadHeaderWord.
    for (prefix, base, count, planted) in [
      ("a", "d1-crashdrv-build1.json", 20, 16), ("b", "50-netfilt-leaf.json", 40, 2),
    ] {
      let data = try Data(contentsOf: URL(fileURLWithPath: "\(scenarios)/\(base)"))
      for index in 0..<count {
        var scenario = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        scenario["name"] = "corr-\(prefix)-\(index)"
        scenario["seed"] = 1000 + index + (prefix == "a" ? 0 : 500)
        scenario["dumps"] = ["triage"]
        scenario.removeValue(forKey: "builds")
        if index < planted {
          var modules = scenario["modules"] as? [[String: Any]] ?? []
          modules.append([
            "name": "filterx.sys", "image": "netfilt/netfilt.sys", "base": "0xfffff80455800000",
          ])
          scenario["modules"] = modules
        }
        let file = dir.file("scenarios/corr-\(prefix)-\(index).json")
        try FileManager.default.createDirectory(
          atPath: dir.file("scenarios"), withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: scenario).write(to: URL(fileURLWithPath: file))
        files.append(file)
      }
    }
    let forged = try CrashsiftBinary.run(
      ["forge"] + files + ["-o", dir.file("night"), "--images", "\(root)/samples/images"])
    #expect(forged.status == 0, "\(forged.stderr)")
    let manifest = dir.file("manifest.json")
    try Data(
      """
      {"version": 1, "symbol_path": ["srv*\(dir.file("night/store"))"],
       "batches": [{"id": "n1", "date": "2026-11-20", "archives": ["night/*.dmp"]}]}
      """.utf8
    ).write(to: URL(fileURLWithPath: manifest))
    let run = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", dir.file("out"), "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let report =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: dir.file("out/report/report.json"))))
      as? [String: Any]
    let buckets = report?["buckets"] as? [[String: Any]] ?? []
    #expect(buckets.count == 2, "\(buckets.map { $0["failure_bucket_id"] ?? "" })")
    func correlations(_ id: String) -> [[String: Any]] {
      buckets.first { $0["failure_bucket_id"] as? String == id }?["correlations"]
        as? [[String: Any]] ?? []
    }
    let top = correlations("AV_crashdrv!CopyRecord").first
    #expect(top?["attribute"] as? String == "module")
    #expect((top?["value"] as? String)?.hasPrefix("filterx.sys ") == true, "\(top ?? [:])")
    #expect(top?["in_bucket"] as? Int == 16)
    #expect(top?["bucket_crashes"] as? Int == 20)
    #expect(top?["elsewhere"] as? Int == 2)
    #expect(top?["other_crashes"] as? Int == 40)
    let expected = Statistics.hypergeometricUpperTail(16, draws: 20, successes: 18, population: 60)
    #expect(abs((top?["p_value"] as? Double ?? 1) - expected) <= expected * 1e-9)
    // The other bucket has the driver less often than the rest: nothing is claimed for it.
    #expect(correlations("AV_netfilt!ReadHeaderWord").isEmpty)
    // The bucket page and correlations.csv show the finding.
    let csv = try String(contentsOfFile: dir.file("out/report/correlations.csv"), encoding: .utf8)
    #expect(csv.split(separator: "\r\n").count == 2, "\(csv)")
    #expect(csv.contains(",module,filterx.sys "))
  }
}
