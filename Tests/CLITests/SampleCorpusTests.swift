import CrashsiftTestSupport
import Foundation
import Testing

/// The README's first command, on the embedded sample corpus, compared with golden files.
@Suite("Embedded sample corpus, end to end")
struct SampleCorpusTests {
  @Test("run --json, a no-op re-run, and status --json match their golden files")
  func sampleRun() throws {
    let workspace = TemporaryDirectory()
    let manifest = "\(Corpus.packageRoot)/corpus-manifest.json"
    let first = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace.path, "--json",
    ])
    // One upload is truncated on purpose: the run reports it, exits 1, and processes the rest.
    #expect(first.status == 1, "\(first.stderr)")
    #expect(first.stderr.contains("kernel-minidumps-truncated.zip"))
    Golden.check(
      Golden.normalize(first.stdout, workspace: workspace.path), against: "sample-run.json")

    // The report, written as the run's last stage: every CSV equals its golden file.
    let report = "\(workspace.path)/report"
    let csvs = try FileManager.default.contentsOfDirectory(atPath: report).filter {
      $0.hasSuffix(".csv")
    }.sorted()
    #expect(
      csvs == [
        "bucket-builds.csv", "bucket-versions.csv", "buckets.csv", "correlations.csv",
        "drivers.csv",
        "examples.csv",
        "failures.csv", "missing-symbols.csv", "nights.csv", "summary.csv", "symbol-lookups.csv",
        "top-1.csv", "top-28.csv", "top-7.csv", "trends.csv",
      ])
    for name in csvs {
      Golden.check(
        try String(contentsOfFile: "\(report)/\(name)", encoding: .utf8),
        against: "sample-report-\(name)")
    }

    let second = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace.path, "--json",
    ])
    #expect(second.status == 0)
    Golden.check(
      Golden.normalize(second.stdout, workspace: workspace.path), against: "sample-rerun.json")

    let status = try CrashsiftBinary.run([
      "status", "--manifest", manifest, "--workspace", workspace.path, "--json",
    ])
    #expect(status.status == 0)
    Golden.check(
      Golden.normalize(status.stdout, workspace: workspace.path), against: "sample-status.json")

    let text = try CrashsiftBinary.run(["status", "--workspace", workspace.path])
    // 12 public breakpad minidumps and 300 forged dumps (kernel triage dumps and minidumps).
    #expect(
      text.stdout.contains("dumps: 312 stored (63 MDMP, 249 PAGEDU64), 316 occurrences"),
      "\(text.stdout)")
    #expect(
      text.stdout.contains("ingest     archives         0        0       60        1        0"),
      "\(text.stdout)")
    let stored = workspace.allFiles().filter { $0.hasPrefix("dumps/") }
    #expect(stored.count == 312)
  }

  @Test("--retry-deferred redoes earlier runs' deferred dumps once, never the run's own")
  func retryDeferredOnce() throws {
    let workspace = TemporaryDirectory()
    let manifest = "\(Corpus.packageRoot)/corpus-manifest.json"
    func run() throws -> [String: [String: Int]] {
      let result = try CrashsiftBinary.run([
        "run", "--manifest", manifest, "--workspace", workspace.path, "--json", "--no-report",
        "--retry-deferred",
      ])
      let summary =
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
      var stages: [String: [String: Int]] = [:]
      for stage in summary?["stages"] as? [[String: Any]] ?? [] {
        if let name = stage["name"] as? String {
          stages[name] = stage.compactMapValues { $0 as? Int }
        }
      }
      return stages
    }
    // First run: the parse pass hands every dump on; the 9 without symbols are deferred there
    // and bucketed; the symbolize pass must not take them again in the same run.
    let first = try run()
    #expect(first["symbolize"]?["processed"] == 312, "\(first)")
    #expect(first["symbolize"]?["deferred"] == 9)
    #expect(first["symbolize"]?["handed_off"] == 312)
    #expect(first["bucket"]?["processed"] == 312)
    // Second run: those 9 are retried once (by symbolize's own pass), and bucketed after them.
    let second = try run()
    #expect(second["parse"]?["processed"] == 0, "\(second)")
    #expect(second["symbolize"]?["processed"] == 9)
    #expect(second["symbolize"]?["handed_off"] == 0)
    #expect(second["bucket"]?["processed"] == 9)
    #expect(second["bucket"]?["handed_off"] == 9)
  }

  @Test("a run with a failed archive exits 1 and prints the failure")
  func failureExit() throws {
    let dir = TemporaryDirectory()
    let full = try ArchiveFixture.bytes(
      (0..<4).map { .file("d\($0).dmp", FakeDump.minidump(seed: $0, size: 60_000)) },
      format: .tarGzip, scratch: dir)
    _ = FileManager.default.createFile(
      atPath: dir.file("n/cut.tar.gz"), contents: Data(full.prefix(full.count / 2)))
    let manifest = dir.file("m.json")
    _ = FileManager.default.createFile(
      atPath: manifest,
      contents: Data(#"{"version":1,"batches":[{"date":"2026-11-20","archives":["n/*"]}]}"#.utf8))
    let result = try CrashsiftBinary.run(["run", "--manifest", manifest])
    #expect(result.status == 1)
    #expect(result.stderr.contains("failed: \(dir.path)/n/cut.tar.gz:"))
    #expect(FileManager.default.fileExists(atPath: "\(dir.path)/out/crashsift.sqlite"))
    let status = try CrashsiftBinary.run(["status", "--manifest", manifest])
    #expect(status.status == 0)
    #expect(status.stdout.contains("ingest \(dir.path)/n/cut.tar.gz: "))
    #expect(status.stdout.contains("last run: #1 `crashsift run` failed"))
  }
}
