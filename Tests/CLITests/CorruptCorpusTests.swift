import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// Dumps made by damaging forged ones and (with the corpus) real ones, through the whole
/// pipeline: every dump ends done, deferred or failed with a reason; none stops the run; memory
/// stays bounded. Each source runs with three seeds, at least 1,000 damaged dumps in all.
@Suite("corrupt-input corpus")
struct CorruptCorpusTests {
  /// Damaged dumps per seed: three seeds make 1,020 per source.
  static let mutants = 340

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

  /// Where the undamaged originals come from.
  enum Source: String, Sendable, CustomStringConvertible {
    /// Dumps `crashsift forge` writes from the committed sample images: needs nothing outside.
    case forged
    /// Real minidumps and triage dumps from the shared corpus.
    case corpus

    var description: String { rawValue }
  }

  /// Fixed seeds, so a failure replays; three, so one lucky stream of damage cannot hide a bug.
  static let seeds: [UInt64] = [0xBAD_D0C5, 0x5EED_0002, 0xC0DE_0003]

  @Test(
    "forged originals, 3 seeds × 340 damaged dumps: each ends done, deferred or failed with a reason",
    arguments: seeds)
  func forged(seed: UInt64) throws {
    try Self.run(.forged, seed: seed)
  }

  @Test(
    "corpus originals, 3 seeds × 340 damaged dumps: each ends done, deferred or failed with a reason",
    .requires(.corpus), arguments: seeds)
  func corpus(seed: UInt64) throws {
    try Self.run(.corpus, seed: seed)
  }

  /// The undamaged dumps of `source`, written or found under `dir`.
  static func originals(_ source: Source, in dir: TemporaryDirectory) throws -> [[UInt8]] {
    let paths: [String]
    switch source {
    case .forged:
      let forge = try CrashsiftBinary.run([
        "forge", "--scale", "60", "-o", dir.file("seed"), "--images",
        "\(Corpus.packageRoot)/samples/images",
      ])
      #expect(forge.status == 0, "\(forge.stderr)")
      paths = TemporaryDirectory.files(under: dir.file("seed/nights")).map {
        dir.file("seed/nights/\($0)")
      }
    case .corpus:
      let root = try Requirement.corpus.resolve()
      let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
      paths = [
        "\(testdata)/minidump2.dmp", "\(testdata)/null_read_av.dmp",
        "\(testdata)/tiny-exe-fastfail.dmp", "\(testdata)/minidump_32bit_crash_addr.dmp",
        "\(root)/minidump/rust-minidump/testdata/simple-crashpad.dmp",
        "\(root)/kernel/triage_x64.dmp", "\(root)/kernel/triage_arm64.dmp",
      ]
    }
    try #require(!paths.isEmpty, "no \(source) originals")
    return try paths.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
  }

  /// Damages `mutants` copies of `source`'s dumps with `seed`, runs the whole pipeline on them and
  /// checks only outcomes, so it holds however `crashsift run` schedules its stages.
  static func run(_ source: Source, seed: UInt64) throws {
    let dir = TemporaryDirectory()
    let originals = try originals(source, in: dir)
    var random = SplitMix64(seed: seed)
    for index in 0..<Self.mutants {
      let original = originals[Int(random.next() % UInt64(originals.count))]
      let name = dir.file(String(format: "mutants/%04d.dmp", index))
      _ = FileManager.default.createFile(
        atPath: name, contents: Data(Self.mutate(original, &random)))
    }
    let manifest = dir.file("manifest.json")
    // The forged store names the forged images' symbols; corpus runs find none, which is an
    // outcome like any other (deferred or done without names).
    try #"""
    {"version": 1, "symbol_path": ["srv*seed/store"],
     "batches": [{"date": "2026-11-22", "archives": ["mutants/*.dmp"]}]}
    """#.write(toFile: manifest, atomically: true, encoding: .utf8)
    let context = "\(source) seed 0x\(String(seed, radix: 16))"
    let result = try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"])
    #expect(!result.signaled, "\(context): the run crashed: \(result.stderr.suffix(2000))")
    #expect(result.status == 0 || result.status == 1, "\(context): \(result.stderr.suffix(2000))")
    // ru_maxrss of the largest child so far (KiB); every child of this test process counts, so
    // this bounds the crashsift run (and any worker it starts) from above.
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    #expect(usage.ru_maxrss < 1_000_000, "\(context): peak RSS \(usage.ru_maxrss) KiB")

    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    let (dumps, states) = try queue.read { db in
      (
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? 0,
        try Row.fetchAll(db, sql: "SELECT dump_sha256, stage, status, error FROM stage_state")
      )
    }
    #expect(dumps > Self.mutants * 9 / 10, "\(context): most mutants are distinct dumps: \(dumps)")
    let parse = states.filter { ($0["stage"] as String) == "parse" }
    #expect(parse.count == dumps, "\(context): every stored dump was parsed or refused")
    var tally: [String: Int] = [:]
    var unfinished: [Row] = []
    var silent: [Row] = []
    for row in states {
      let stage: String = row["stage"]
      let status: String = row["status"]
      let error: String? = row["error"]
      tally["\(stage) \(status)", default: 0] += 1
      // No dump is left running or pending, whichever process ran its stage.
      if !["done", "failed", "deferred"].contains(status) { unfinished.append(row) }
      if status != "done" && (error ?? "").isEmpty { silent.append(row) }
    }
    #expect(
      unfinished.isEmpty,
      "\(context): \(unfinished.count) stage rows left unfinished, e.g. \(unfinished.prefix(3))")
    #expect(
      silent.isEmpty,
      "\(context): \(silent.count) rows not done and not saying why, e.g. \(silent.prefix(3))")
    // Worker isolation keeps the night going when a reader traps; the readers must still refuse
    // damage with a message, never by killing their worker.
    let deaths = states.filter { (($0["error"] as String?) ?? "").contains("worker ") }
    #expect(
      deaths.isEmpty,
      "\(context): \(deaths.count) dumps killed their worker, e.g. \(deaths.prefix(3))")
    print("corrupt corpus, \(context): \(dumps) dumps; \(tally.sorted { $0.key < $1.key })")
    #expect(
      (tally["parse failed"] ?? 0) >= Self.mutants / 40,
      "\(context): damage that parsers must refuse")
    #expect(
      (tally["bucket done"] ?? 0) >= Self.mutants / 10,
      "\(context): damage that still leaves a bucket")
    // The report is written and lists every failed dump.
    #expect(FileManager.default.fileExists(atPath: dir.file("out/report/index.html")), "\(context)")
    let failures = try String(
      contentsOfFile: dir.file("out/report/failures.csv"), encoding: .utf8)
    let failedDumps = Set(
      states.filter { ($0["status"] as String) == "failed" }.map { $0["dump_sha256"] as String })
    for dump in failedDumps {
      #expect(failures.contains(dump), "\(context): \(dump) missing from failures.csv")
    }
  }
}
