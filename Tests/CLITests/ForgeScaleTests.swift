import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// `forge --scale`: a corpus the pipeline runs as is, every dump bucketed to its truth.
@Suite("forge --scale")
struct ForgeScaleTests {
  @Test("60 forged dumps: the run buckets every one on the frame its truth blames")
  func scaleRun() throws {
    let dir = TemporaryDirectory()
    let forged = try CrashsiftBinary.run([
      "forge", "--scale", "60", "-o", dir.path, "--images",
      "\(Corpus.packageRoot)/samples/images", "--json",
    ])
    #expect(forged.status == 0, "\(forged.stderr)")
    let run = try CrashsiftBinary.run([
      "run", "--manifest", dir.file("manifest.json"), "--workspace", dir.file("out"), "--quiet",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    var truth: [String: String] = [:]
    let lines = try String(contentsOfFile: dir.file("truth.jsonl"), encoding: .utf8)
      .split(separator: "\n")
    for line in lines {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
      // legacyfs.sys ships without a PDB: its frames are blamed by image only.
      if let file = object?["file"], let blame = object?["blame"] {
        truth[dir.file(file)] = blame.hasPrefix("legacyfs.sys!") ? "legacyfs.sys!?" : blame
      }
    }
    #expect(truth.count == 60)
    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    let rows = try queue.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT a.path, b.image_name, b.function, b.failure_bucket_id, a.build FROM archives a
          JOIN occurrences o ON o.archive_sha256 = a.sha256
          JOIN buckets b ON b.dump_sha256 = o.dump_sha256
          """)
    }
    #expect(rows.count == 60)
    var buckets = Set<String>()
    for row in rows {
      let path: String = row["path"]
      let blamed = "\(row["image_name"] as String)!\(row["function"] as String? ?? "?")"
      #expect(truth[path] == blamed, "\(path)")
      buckets.insert(row["failure_bucket_id"])
    }
    #expect(buckets.count >= 5, "a few big buckets and a tail")
  }
}
