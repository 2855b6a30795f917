import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// 1,000 dumps made by damaging real and forged ones, through the whole pipeline: every dump
/// ends done, deferred or failed with a reason; none stops the run; memory stays bounded.
@Suite("corrupt-input corpus")
struct CorruptCorpusTests {
  static let mutants = 1000

  /// Values that break size and count arithmetic: zero, one, sign boundaries, all ones.
  static let boundaries: [UInt64] = [
    0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
    0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF,
  ]

  /// One damaged copy of `source`: truncated, bit-flipped, fields overwritten with boundary
  /// values, or overwritten and truncated. Damage favours the first 16 KiB, where the headers,
  /// directories and lists that a parser trusts live.
  static func mutate(_ source: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var bytes = source
    let size = bytes.count
    guard size > 8 else { return bytes }
    func offset() -> Int {
      let head = min(size, 16_384)
      return random.unit() < 0.7
        ? Int(random.next() % UInt64(head)) : Int(random.next() % UInt64(size))
    }
    func overwrite() {
      for _ in 0..<(1 + Int(random.next() % 8)) {
        let value = boundaries[Int(random.next() % UInt64(boundaries.count))]
        let width = random.unit() < 0.5 ? 4 : 8
        let at = offset() & ~3
        for index in 0..<width where at + index < size {
          bytes[at + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
        }
      }
    }
    func truncate() {
      let keep = random.unit() < 0.4 ? offset() : Int(random.next() % UInt64(size))
      bytes.removeLast(size - max(0, min(keep, bytes.count)))
    }
    switch random.next() % 4 {
    case 0: truncate()
    case 1:
      for _ in 0..<(1 + Int(random.next() % 64)) {
        let at = offset()
        bytes[at] ^= UInt8(1 << (random.next() % 8))
      }
    case 2: overwrite()
    default:
      overwrite()
      truncate()
    }
    return bytes
  }

  @Test("1,000 damaged dumps: each ends done, deferred or failed with a reason; the run finishes")
  func corruptCorpus() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "60", "-o", dir.file("seed"), "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    var sources = TemporaryDirectory.files(under: dir.file("seed/nights")).map {
      dir.file("seed/nights/\($0)")
    }
    if let root = Corpus.root {
      let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
      sources += [
        "\(testdata)/minidump2.dmp", "\(testdata)/null_read_av.dmp",
        "\(testdata)/tiny-exe-fastfail.dmp", "\(testdata)/minidump_32bit_crash_addr.dmp",
        "\(root)/minidump/rust-minidump/testdata/simple-crashpad.dmp",
        "\(root)/kernel/triage_x64.dmp", "\(root)/kernel/triage_arm64.dmp",
      ]
    } else {
      #expect(!Tools.isCI, "the fixture corpus is required on CI")
    }
    let originals = try sources.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
    var random = SplitMix64(seed: 0xBAD_D0C5)
    for index in 0..<Self.mutants {
      let source = originals[Int(random.next() % UInt64(originals.count))]
      let name = dir.file(String(format: "mutants/%04d.dmp", index))
      _ = FileManager.default.createFile(
        atPath: name, contents: Data(Self.mutate(source, &random)))
    }
    let manifest = dir.file("manifest.json")
    try #"""
    {"version": 1, "symbol_path": ["srv*seed/store"],
     "batches": [{"date": "2026-11-22", "archives": ["mutants/*.dmp"]}]}
    """#.write(toFile: manifest, atomically: true, encoding: .utf8)
    let result = try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"])
    #expect(!result.signaled, "the run crashed: \(result.stderr.suffix(2000))")
    #expect(result.status == 0 || result.status == 1, "\(result.stderr.suffix(2000))")
    // ru_maxrss of the largest child so far (KiB); every child of this test process counts, so
    // this bounds the crashsift run from above.
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    #expect(usage.ru_maxrss < 1_000_000, "peak RSS \(usage.ru_maxrss) KiB")

    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    let (dumps, states) = try queue.read { db in
      (
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? 0,
        try Row.fetchAll(db, sql: "SELECT dump_sha256, stage, status, error FROM stage_state")
      )
    }
    #expect(dumps > 900, "most mutants are distinct dumps: \(dumps)")
    let parse = states.filter { ($0["stage"] as String) == "parse" }
    #expect(parse.count == dumps, "every stored dump was parsed or refused")
    var tally: [String: Int] = [:]
    for row in states {
      let stage: String = row["stage"]
      let status: String = row["status"]
      tally["\(stage) \(status)", default: 0] += 1
      #expect(["done", "failed", "deferred"].contains(status), "\(row)")
      if status != "done" {
        let error: String? = row["error"]
        #expect(!(error ?? "").isEmpty, "a \(status) dump says why: \(row)")
      }
    }
    print("corrupt corpus: \(dumps) dumps; \(tally.sorted { $0.key < $1.key })")
    #expect((tally["parse failed"] ?? 0) >= 50, "damage that parsers must refuse")
    let reasons = Set(
      states.compactMap { row -> String? in
        (row["status"] as String) == "failed" ? (row["error"] as String?) : nil
      })
    print(
      "corrupt corpus: \(reasons.count) distinct failure reasons, e.g. \(reasons.sorted().prefix(8))"
    )
    #expect((tally["bucket done"] ?? 0) > 100, "damage that still leaves a bucket")
    // The report lists every failed dump.
    let failures = try String(
      contentsOfFile: dir.file("out/report/failures.csv"), encoding: .utf8)
    let failedDumps = Set(
      states.filter { ($0["status"] as String) == "failed" }.map { $0["dump_sha256"] as String })
    for dump in failedDumps {
      #expect(failures.contains(dump), "\(dump) missing from failures.csv")
    }
  }
}
