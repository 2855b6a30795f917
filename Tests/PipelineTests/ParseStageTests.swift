import Checkpoint
import CrashsiftTestSupport
import DumpSynth
import Foundation
import GRDB
import Testing

@testable import Pipeline

@Suite("Parse stage")
struct ParseStageTests {
  @Test("forged minidumps and kernel dumps become rows; unknown files fail with their first bytes")
  func parse() throws {
    try Self.parse(withCorpus: false)
  }

  @Test(
    "breakpad's minidump2 and the real triage dump become rows with their crash and modules",
    .requires(.corpus))
  func parseCorpus() throws {
    try Self.parse(withCorpus: true)
  }

  @Test("a memory dump's processes and threads become rows; a triage dump gets none")
  func processes() throws {
    let fixture = PipelineFixture()
    try fixture.archive(
      "n1/m.zip", format: .zip,
      [
        .file("MEMORY.DMP", ProcessScenario.bytes(.bitmap(type: 5, signature: "SDMP"))),
        .file("Minidump/triage.dmp", TriageDumpWriter().bytes()),
      ])
    fixture.batches = [("n1", ["n1/*"])]
    let summary = try fixture.run(stages: [ParseStage()])
    #expect(summary.stages.first?.done == 2)
    let db = try fixture.database()
    let (processes, threads, lists) = try db.read { db in
      (
        try Row.fetchAll(
          db,
          sql:
            "SELECT process_id, parent_process_id, image_name, handle_count, handle_count_problem FROM kernel_processes ORDER BY idx"
        ),
        try Row.fetchAll(
          db, sql: "SELECT process_idx, thread_id, state, wait_reason FROM kernel_threads"),
        try String?.fetchAll(db, sql: "SELECT process_list FROM kernel_dumps ORDER BY dump_type")
      )
    }
    let written = SyntheticProcess.examples()
    #expect(processes.count == written.count)
    #expect(processes.map { $0[0] as Int64? } == written.map { Int64($0.processID) })
    #expect(processes.map { $0[2] as String? } == written.map { String($0.name.prefix(14)) })
    #expect(processes.map { $0[3] as Int64? } == written.map { Int64($0.handleCount) })
    #expect(processes.allSatisfy { ($0[4] as String?) == nil })
    #expect(threads.count == written.reduce(0) { $0 + $1.threads.count })
    // Bitmap (type 5) first, then triage (type 4) sorts before it: order by dump type.
    #expect(lists == [nil, "complete"])
  }

  /// Parses forged dumps, a broken file and, `withCorpus`, two real dumps, then checks the rows.
  static func parse(withCorpus: Bool) throws {
    let fixture = PipelineFixture()
    var entries: [ArchiveFixture.Entry] = [
      .file("k/MEMORY32.DMP", FakeDump.kernel32(seed: 1)),
      .file("k/header-only.dmp", FakeDump.kernel64(seed: 3)),
      .file("u/broken.dmp", Array(repeating: 0x20, count: 64)),
      .file("f/fake.dmp", FakeDump.minidump(seed: 2)),
    ]
    if withCorpus {
      let root = try Requirement.corpus.resolve()
      for (name, relative) in [
        ("m/minidump2.dmp", "minidump/breakpad/src/processor/testdata/minidump2.dmp"),
        ("Minidump/022121-7484-01.dmp", "kernel/triage_x64.dmp"),
      ] {
        let path = "\(root)/\(relative)"
        let bytes = try #require(FileManager.default.contents(atPath: path), "\(path)")
        entries.append(.file(name, [UInt8](bytes)))
      }
    }
    try fixture.archive("n1/a.zip", format: .zip, entries)
    fixture.batches = [("n1", ["n1/*"])]
    let summary = try fixture.run(stages: [ParseStage()])
    let parse = try #require(summary.stages.first)
    #expect(parse.deferred == 0)
    #expect(parse.failed == 1)
    #expect(parse.done == entries.count - 1)
    let db = try fixture.database()
    let failure = try db.read { db in
      try String.fetchOne(db, sql: "SELECT error FROM stage_state WHERE status = 'failed'")
    }
    #expect(failure?.contains("not a minidump or kernel dump (first bytes: 20 20 20") == true)
    let formats = try db.read { db in
      try String.fetchAll(db, sql: "SELECT format FROM parsed_dumps ORDER BY format")
    }
    #expect(formats.contains("PAGEDUMP"))
    if withCorpus { try checkCorpusRows(db) }

    // Nothing changed: a re-run parses nothing; --retry-failed tries the unknown file again.
    let again = try fixture.run(stages: [ParseStage()])
    #expect(again.stages.first?.processed == 0)
    let retried = try fixture.run(retryFailed: true, stages: [ParseStage()])
    #expect(retried.stages.first?.processed == 1)
    #expect(retried.stages.first?.failed == 1)
  }

  /// minidump2's crash and modules, and the triage dump's bug check, as breakpad and WinDbg give.
  static func checkCorpusRows(_ db: CheckpointDatabase) throws {
    let row = try #require(
      try db.read { db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT p.crash_reason, p.crash_address, p.crashing_thread, p.module_count, p.cpu
            FROM parsed_dumps p JOIN occurrences o ON o.dump_sha256 = p.dump_sha256
            WHERE o.entry_path = 'm/minidump2.dmp'
            """)
      })
    #expect(row[0] == "EXCEPTION_ACCESS_VIOLATION_WRITE")
    #expect(row[1] == 0x45)
    #expect(row[2] == 0xBF4)
    #expect(row[3] == 13)
    #expect(row[4] == "x86")
    let debugIDs = try db.read { db in
      try String.fetchAll(
        db, sql: "SELECT debug_id FROM dump_modules WHERE name LIKE '%test_app.exe'")
    }
    #expect(debugIDs == ["5A9832E5287241C1838ED98914E9B7FF1"])
    let kernel = try #require(
      try db.read { db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT k.bugcheck_code, k.bugcheck_name, k.fault_module, k.fault_offset, k.process_name,
              p.module_count, k.build
            FROM kernel_dumps k JOIN occurrences o ON o.dump_sha256 = k.dump_sha256
            JOIN parsed_dumps p ON p.dump_sha256 = k.dump_sha256
            WHERE o.entry_path LIKE 'Minidump/%'
            """)
      })
    #expect(kernel[0] == 0x1000_007E)
    #expect(kernel[1] == "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M")
    #expect(kernel[2] == "amdppm.sys")
    #expect(kernel[3] == 0x334C)
    #expect(kernel[4] == "System")
    #expect(kernel[5] == 151)
    #expect(kernel[6] == 19041)
  }
}
