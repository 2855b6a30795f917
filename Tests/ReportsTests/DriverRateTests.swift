import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@testable import Reports

/// Driver rates on a hand-made workspace: the population gate, the fallback without exposure,
/// shares, and the rate and its interval from the counts.
@Suite("driver rates")
struct DriverRateTests {
  /// A workspace whose builds b1, b2, b3 crashed in x.sys 8, 3 and 2 times, all on one night.
  static func database(_ dir: TemporaryDirectory) throws -> DatabaseQueue {
    let queue = try DatabaseQueue(path: dir.file("w.sqlite"))
    try CheckpointSchema.migrator().migrate(queue)
    try queue.write { db in
      var dump = 0
      for (build, crashes) in [("b1", 8), ("b2", 3), ("b3", 2)] {
        try db.execute(
          sql: """
            INSERT INTO archives (sha256, path, size, mtime, batch, build, status, updated_at)
            VALUES (?, ?, 1, 0, 'n1', ?, 'done', 't')
            """, arguments: ["a-\(build)", "/up/\(build).zip", build])
        for index in 0..<crashes {
          dump += 1
          let sha = String(format: "%064d", dump)
          try db.execute(
            sql: "INSERT INTO dumps (sha256, size, kind) VALUES (?, 1, 'PAGEDU64')",
            arguments: [sha])
          try db.execute(
            sql: """
              INSERT INTO occurrences (archive_sha256, entry_path, dump_sha256, batch)
              VALUES (?, ?, ?, 'n1')
              """, arguments: ["a-\(build)", "PC-\(index % 2)/Minidump/\(index).dmp", sha])
          try db.execute(
            sql: """
              INSERT INTO buckets (dump_sha256, mode, code, prefix, symbol_name, module_name,
                image_name, function_offset, failure_bucket_id, failure_id_hash, symbolized,
                skipped, rules_version)
              VALUES (?, 'km', '0xD1', 'AV', 'x!F+10', 'x', 'x.sys', '10', 'AV_x!F', '{h}', 1,
                '[]', 'r')
              """, arguments: [sha])
        }
      }
    }
    return queue
  }

  @Test("rated above 1,000 machine-days, gated below, counts only without exposure")
  func gate() throws {
    let dir = TemporaryDirectory()
    let queue = try Self.database(dir)
    let report = try CrashReport.build(
      database: queue, batchDates: ["n1": "2026-11-20"], builds: ["b1", "b2", "b3"],
      exposure: [("b1", "2026-11-20", 4000), ("b2", "2026-11-20", 999)],
      machinePattern: "(PC-[0-9]+)")
    let rates = Dictionary(uniqueKeysWithValues: report.rates.map { ($0.build, $0) })
    // b1: 8 crashes in 4,000 machine-days = 20 per 10,000; exact 95% interval of 8 events is
    // [3.4538, 15.7632] (Garwood), scaled by 10,000 / 4,000.
    let b1 = try #require(rates["b1"])
    #expect(b1.rate == 20)
    #expect(abs((b1.rateLow ?? 0) - 8.6345) < 0.001)
    #expect(abs((b1.rateHigh ?? 0) - 39.408) < 0.001)
    #expect(b1.note == nil)
    #expect(b1.machines == 2)
    #expect(b1.share == 1)
    // b2: 999 machine-days is below the gate: no rate, no ratio, and the page says why.
    let b2 = try #require(rates["b2"])
    #expect(b2.rate == nil && b2.ratio == nil && b2.pValue == nil)
    #expect(b2.note == "too few machines to rate")
    #expect(b2.previousBuild == "b1")
    // b3 has no exposure rows at all.
    #expect(rates["b3"]?.note == "no exposure data: counts only")
    #expect(rates["b3"]?.crashes == 2)
    #expect(report.hasExposure)

    let bare = try CrashReport.build(
      database: queue, batchDates: ["n1": "2026-11-20"], builds: ["b1", "b2", "b3"],
      exposure: [])
    #expect(!bare.hasExposure)
    #expect(bare.rates.allSatisfy { $0.rate == nil && $0.note == "no exposure data: counts only" })
    #expect(bare.rates.allSatisfy { $0.machines == nil })
  }
}
