import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// Bucketing through the pipeline: rows for every crashed dump, the golden buckets of the sample
/// corpus, and re-bucketing exactly the affected dumps when a rule changes.
@Suite("bucket stage")
struct BucketCommandTests {
  static func buckets(_ workspace: String) throws -> [String: [String: String]] {
    let queue = try DatabaseQueue(path: "\(workspace)/crashsift.sqlite")
    return try queue.read { db in
      var result: [String: [String: String]] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT * FROM buckets") {
        var values: [String: String] = [:]
        for column in row.columnNames {
          let value = row[column] as DatabaseValue
          values[column] =
            value.isNull ? "NULL" : (String.fromDatabaseValue(value) ?? "\(value)")
        }
        result[row["dump_sha256"]] = values
      }
      return result
    }
  }

  @Test(
    "sample corpus: buckets match the golden list; a changed rule re-buckets only the dumps it affects"
  )
  func rulesChange() throws {
    let workspace = TemporaryDirectory()
    let manifest = "\(Corpus.packageRoot)/corpus-manifest.json"
    let first = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", workspace.path, "--quiet",
    ])
    #expect(first.status == 1, "the sample corpus has one corrupt upload: \(first.stderr)")
    let before = try Self.buckets(workspace.path)
    // 312 dumps, one of them without an exception (nothing to bucket).
    #expect(before.count == 311)
    let lines =
      before.values.map {
        "\($0["failure_bucket_id"] ?? "")\t\($0["failure_id_hash"] ?? "")\t\($0["symbol_name"] ?? "")"
      }
      .sorted().joined(separator: "\n") + "\n"
    Golden.check(lines, against: "sample-buckets.txt")
    // breakpad's minidump2, processed end to end: siggen's signature of our own stack.
    let named = before.values.filter { $0["function"] == "`anonymous namespace'::CrashFunction" }
    #expect(!named.isEmpty)
    #expect(named.allSatisfy { $0["socorro_signature"] == "(anonymous namespace)::CrashFunction" })
    #expect(named.allSatisfy { $0["process_name"] == "test_app.exe" })

    // A rule that refuses to blame CrashFunction moves those dumps' blame to its caller.
    let rules = try String(
      contentsOfFile: "\(Corpus.packageRoot)/pipelines/rules/bucketing.json", encoding: .utf8
    ).replacingOccurrences(
      of: #""followup_skip": ["#,
      with: #""followup_skip": [{"pattern": "test_app.exe!*CrashFunction", "why": "test rule"},"#)
    let rulesFile = workspace.file("rules.json")
    _ = FileManager.default.createFile(atPath: rulesFile, contents: Data(rules.utf8))
    let pipeline = workspace.file("pipeline.json")
    _ = FileManager.default.createFile(
      atPath: pipeline, contents: Data(#"{"version": 1, "rules": ["rules.json"]}"#.utf8))
    let rerun = try CrashsiftBinary.run([
      "bucket", "--manifest", manifest, "--workspace", workspace.path, "--pipeline", pipeline,
      "--json",
    ])
    #expect(rerun.status == 0, "\(rerun.stderr)")
    let after = try Self.buckets(workspace.path)
    #expect(after.count == before.count)
    // The forged dumps agree with their truth (samples/archives/forged-truth.jsonl); legacyfs.sys
    // ships without a PDB, so its frames are blamed by image only.
    let forgedImages: Set<String> = [
      "crashdrv.sys", "netfilt.sys", "diskmon.sys", "legacyfs.sys", "contoso-app.exe",
    ]
    let forged = before.values.filter { forgedImages.contains($0["image_name"] ?? "") }
    #expect(forged.count == 300)
    var blamed: [String: Int] = [:]
    for row in forged {
      let function = row["function"] == "NULL" ? "" : row["function"] ?? ""
      blamed["\(row["image_name"] ?? "")!\(function)", default: 0] += 1
    }
    var truth: [String: Int] = [:]
    let truthLines = try String(
      contentsOfFile: "\(Corpus.packageRoot)/samples/archives/forged-truth.jsonl", encoding: .utf8
    ).split(separator: "\n")
    for line in truthLines {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
      let blame = object?["blame"] ?? "?"
      truth[blame.hasPrefix("legacyfs.sys!") ? "legacyfs.sys!" : blame, default: 0] += 1
    }
    #expect(blamed == truth)
    var changed = 0
    for (dump, old) in before {
      let new = try #require(after[dump])
      #expect(new["rules_version"] != old["rules_version"])
      if old["function"] == "`anonymous namespace'::CrashFunction" {
        changed += 1
        #expect(new["function"] == "main")
        #expect(new["skipped"]?.contains("test rule") == true)
      } else {
        var same = new
        var previous = old
        same["rules_version"] = nil
        previous["rules_version"] = nil
        #expect(same == previous, "\(dump) changed though the rule does not concern it")
      }
    }
    #expect(changed > 0)
  }

  @Test("hash prints WinDbg's FAILURE_ID_HASH; a broken rules file is refused with its name")
  func hashAndBadRules() throws {
    let hash = try CrashsiftBinary.run(["hash", "AV_myfault!unknown_function"])
    #expect(hash.stdout == "{9745090a-9bce-ccba-c096-ca6e9ca04c64}\tAV_myfault!unknown_function\n")
    let user = try CrashsiftBinary.run([
      "hash", "--user", "HEAP_CORRUPTION_c0000374_heap_corruption!Mem.exe",
    ])
    #expect(user.stdout.hasPrefix("{4569e799-2e9f-5336-d420-e475db03ba4f}"))
    let dir = TemporaryDirectory()
    _ = FileManager.default.createFile(
      atPath: dir.file("bad.json"), contents: Data(#"{"version": 2}"#.utf8))
    let refused = try CrashsiftBinary.run([
      "analyze", "--rules", dir.file("bad.json"), "\(Corpus.packageRoot)/corpus-manifest.json",
    ])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("rules version 1"))
  }
}
