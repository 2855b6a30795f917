import CrashsiftTestSupport
import Foundation
import Testing

/// `report.json` names the versions that made the workspace: `crashsift report` on its own must
/// stamp the same rules version as the `run` that wrote the report before it.
@Suite("report versions")
struct ReportVersionsTests {
  static func bucketingRules(_ workspace: String) throws -> String? {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(workspace)/report/report.json"))
    let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return (object?["crashsift"] as? [String: Any])?["bucketing_rules"] as? String
  }

  @Test("a pipeline with its own rules file: run and report stamp the same rules version")
  func customRules() throws {
    let dir = TemporaryDirectory()
    let forge = try CrashsiftBinary.run([
      "forge", "--scale", "30", "-o", dir.file("corpus"), "--images",
      "\(Corpus.packageRoot)/samples/images",
    ])
    #expect(forge.status == 0, "\(forge.stderr)")
    // The shipped rules with another description: the same decisions, another digest.
    let shipped = try String(
      contentsOfFile: "\(Corpus.packageRoot)/pipelines/rules/bucketing.json", encoding: .utf8)
    let rules = shipped.replacingOccurrences(
      of: #""description": ""#, with: #""description": "Team rules. "#)
    #expect(rules != shipped)
    try rules.write(toFile: dir.file("rules.json"), atomically: true, encoding: .utf8)
    try #"{"version": 1, "rules": ["rules.json"]}"#.write(
      toFile: dir.file("pipeline.json"), atomically: true, encoding: .utf8)
    let manifestPath = dir.file("corpus/manifest.json")
    var manifest =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
      as? [String: Any] ?? [:]
    manifest["pipeline"] = dir.file("pipeline.json")
    try JSONSerialization.data(withJSONObject: manifest).write(
      to: URL(fileURLWithPath: manifestPath))
    let workspace = dir.file("ws")
    let run = try CrashsiftBinary.run([
      "run", "--manifest", manifestPath, "--workspace", workspace, "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let fromRun = try #require(try Self.bucketingRules(workspace))
    let version = try CrashsiftBinary.run(["--version"])
    #expect(!version.stdout.contains("bucketing rules: \(fromRun)"), "a digest of its own")
    let report = try CrashsiftBinary.run([
      "report", "--manifest", manifestPath, "--workspace", workspace,
    ])
    #expect(report.status == 0, "\(report.stderr)")
    #expect(try Self.bucketingRules(workspace) == fromRun)
  }
}
