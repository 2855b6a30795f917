import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// `PackedFrame`: what the symbolize stage writes is what the bucket stage and SQLite's JSON
/// functions (the views) read back, field for field.
@Suite("packed frames")
struct PackedFrameTests {
  static let hostile = "a\"b\\c\u{1}\u{1F}\t\n/é😀<script>"

  static let frames: [PackedFrame] = [
    PackedFrame(
      address: Int64.min, stackPointer: Int64.max, trust: "context", module: "nt.sys",
      moduleOffset: 0, function: hostile, functionOffset: -1, file: "c:\\src\\x.c", line: 42,
      lineOffset: 7, missing: nil, inlines: ["f [a.h : 1]", hostile]),
    // Nulls in the middle, then trailing ones left out.
    PackedFrame(address: -8_796_093_022_208, stackPointer: nil, trust: "scan", module: nil),
    PackedFrame(address: 0),
    PackedFrame(address: 1, missing: "no symbols found for pdb:x.pdb/1"),
    PackedFrame(address: 2, inlines: []),
  ]

  @Test("frames round-trip through pack and unpack; text is cut at its first NUL")
  func roundTrip() throws {
    #expect(try PackedFrame.unpack(PackedFrame.pack(Self.frames)) == Self.frames)
    #expect(try PackedFrame.unpack(PackedFrame.pack([])) == [])
    let cut = PackedFrame(address: 5, module: "drv\u{0}.sys", inlines: ["x\u{0}y"])
    let back = try PackedFrame.unpack(PackedFrame.pack([cut]))
    #expect(back == [PackedFrame(address: 5, module: "drv", inlines: ["x"])])
    // Trailing nulls are left out; nulls before a value are kept.
    #expect(PackedFrame.pack([PackedFrame(address: 0)]) == "[[0]]")
    #expect(PackedFrame.pack([PackedFrame(address: 3, module: "m")]) == #"[[3,null,null,"m"]]"#)
  }

  @Test("the text is JSON another parser reads the same")
  func foundationAgrees() throws {
    let text = PackedFrame.pack(Self.frames)
    let parsed = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Any]])
    #expect(parsed.count == Self.frames.count)
    #expect((parsed[0][0] as? NSNumber)?.int64Value == Int64.min)
    #expect(parsed[0][5] as? String == Self.hostile)
    #expect(parsed[0][11] as? [String] == ["f [a.h : 1]", Self.hostile])
    #expect(parsed[2].count == 1)
  }

  @Test("SQLite's views over the packed rows give the per-frame columns")
  func viewsAgree() throws {
    let dir = TemporaryDirectory()
    let database = try CheckpointDatabase(path: dir.file("c.sqlite"))
    let rows = try database.write { db -> [Row] in
      try db.execute(
        sql: "INSERT INTO dumps (sha256, size, kind) VALUES ('d', 1, 'MDMP')")
      try db.execute(
        sql: "INSERT INTO crash_stacks (dump_sha256, frames) VALUES ('d', ?)",
        arguments: [PackedFrame.pack(Self.frames)])
      try db.execute(
        sql: "INSERT INTO thread_stacks (dump_sha256, thread_id, frames) VALUES ('d', 9, ?)",
        arguments: [PackedFrame.pack(Self.frames)])
      return try Row.fetchAll(db, sql: "SELECT * FROM symbolized_frames ORDER BY frame")
    }
    #expect(rows.count == Self.frames.count)
    for (index, (row, frame)) in zip(rows, Self.frames).enumerated() {
      #expect(row["dump_sha256"] == "d")
      #expect(row["frame"] == index)
      #expect(row["address"] == frame.address)
      #expect(row["stack_pointer"] as Int64? == frame.stackPointer)
      #expect(row["trust"] as String? == frame.trust)
      #expect(row["module"] as String? == frame.module)
      #expect(row["module_offset"] as Int64? == frame.moduleOffset)
      #expect(row["function"] as String? == frame.function)
      #expect(row["function_offset"] as Int64? == frame.functionOffset)
      #expect(row["file"] as String? == frame.file)
      #expect(row["line"] as Int64? == frame.line)
      #expect(row["line_offset"] as Int64? == frame.lineOffset)
      #expect(row["missing"] as String? == frame.missing)
      let inlines = (row["inlines"] as String?).map {
        (try? JSONDecoder().decode([String].self, from: Data($0.utf8))) ?? ["not JSON"]
      }
      #expect(inlines == (frame.inlines.isEmpty ? nil : frame.inlines))
    }
    let columns = try database.read { db in
      try Row.fetchAll(db, sql: "PRAGMA table_info(thread_frames)").map { $0["name"] as String }
    }
    #expect(
      columns == [
        "dump_sha256", "thread_id", "frame", "address", "stack_pointer", "trust", "module",
        "module_offset", "function", "function_offset", "file", "line",
      ])
    let threads = try database.read { db in
      try Row.fetchAll(db, sql: "SELECT * FROM thread_frames WHERE thread_id = 9 ORDER BY frame")
    }
    #expect(threads.map { $0["address"] as Int64 } == Self.frames.map(\.address))
  }

  @Test(
    "text that is not a frame list is an error, not a trap",
    arguments: [
      "", "[", "{}", "[[]]", #"[["x"]]"#, "[[1,2,3]]", #"[[1,"sp"]]"#, "[[1]", "[1]",
      String(repeating: "[", count: 100_000),
      #"[[1,null,null,null,null,null,null,null,null,null,null,[1]]]"#,
      "[[18446744073709551616]]",
    ])
  func malformed(_ text: String) {
    #expect(throws: (any Error).self) { try PackedFrame.unpack(text) }
  }
}
