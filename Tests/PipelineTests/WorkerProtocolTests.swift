import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@testable import Pipeline

/// The pipe protocol between `crashsift run` and its workers, and the `workers` settings.
@Suite("worker protocol and settings")
struct WorkerProtocolTests {
  static func sample() -> StageResult {
    var rows = StageRows(table: "t", columns: ["a", "b", "c", "d", "e"])
    rows.append([Int64.min, "ünïcode\u{0}text", 1.5, nil, Data([0, 1, 255])])
    rows.append([Int64.max, "", -0.0, 42, Data()])
    var other = StageRows(table: "u", columns: ["x"])
    other.append([UInt32.max])
    return StageResult(
      outcome: StageOutcome(status: .deferred, error: "no symbols for x.pdb"),
      tables: [rows, other])
  }

  static func payload(_ frame: [UInt8]) throws -> [UInt8] {
    var buffer = FrameBuffer()
    frame.withUnsafeBytes { buffer.append($0) }
    return try #require(try buffer.next())
  }

  @Test("a result crosses the pipe unchanged: every SQLite storage class, outcome and error")
  func resultRoundTrip() throws {
    let sent = Self.sample()
    let reply = try WireFormat.decodeReply(Self.payload(WireFormat.encode(.result(sent))))
    guard case .result(let received) = reply else {
      Issue.record("decoded \(reply)")
      return
    }
    #expect(received.outcome == sent.outcome)
    #expect(received.tables == sent.tables)
    #expect(received.tables.first?.count == 2)
    // A stage's result within a dump's pass (the hand-off) is told apart from the dump's last.
    let partial = try WireFormat.decodeReply(Self.payload(WireFormat.encode(.partial(sent))))
    guard case .partial(let middle) = partial else {
      Issue.record("decoded \(partial)")
      return
    }
    #expect(middle.outcome == sent.outcome && middle.tables == sent.tables)
  }

  @Test("a batch and a setup cross the pipe unchanged")
  func requestRoundTrip() throws {
    let items = [
      WorkItem(
        dumpSHA256: String(repeating: "ab", count: 32), kind: .kernel64, size: 1 << 40, attempts: 2),
      WorkItem(dumpSHA256: "x", kind: .unknown, size: 0, attempts: 0),
    ]
    guard
      case .batch(let stage, let through, let decoded) = try WireFormat.decodeRequest(
        Self.payload(WireFormat.encode(.batch(stage: 1, through: 2, items: items))))
    else {
      Issue.record("not a batch")
      return
    }
    #expect(stage == 1 && through == 2 && decoded == items)
    let setup = WorkerSetup(
      workspace: "/w",
      recipe: StageRecipe(
        symbolPath: "srv*/s", allThreads: true, rules: Data("{}".utf8), rulesName: "r.json"),
      memoryLimitBytes: 1 << 30)
    guard
      case .setup(let back) = try WireFormat.decodeRequest(
        Self.payload(WireFormat.encode(.setup(setup))))
    else {
      Issue.record("not a setup")
      return
    }
    #expect(back == setup)
  }

  @Test("every truncation of a result is an error or waits for more bytes, never a wrong result")
  func truncations() throws {
    let frame = WireFormat.encode(.result(Self.sample()))
    let payload = try Self.payload(frame)
    for length in 0..<payload.count {
      #expect(throws: WireFormat.Malformed.self) {
        _ = try WireFormat.decodeReply(Array(payload.prefix(length)))
      }
    }
    // A frame cut short is not complete: the buffer waits rather than decoding it.
    var buffer = FrameBuffer()
    frame.dropLast().withUnsafeBytes { buffer.append(UnsafeRawBufferPointer($0)) }
    #expect(try buffer.next() == nil)
    #expect(buffer.hasPartialFrame)
  }

  @Test("absurd counts and lengths are refused before anything is allocated")
  func absurdCounts() throws {
    // A result with 2^32-1 tables in a 10-byte message.
    let hostile: [UInt8] = [2, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0]
    #expect(throws: WireFormat.Malformed.self) { _ = try WireFormat.decodeReply(hostile) }
    var buffer = FrameBuffer()
    let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0x7F]
    huge.withUnsafeBytes { buffer.append($0) }
    #expect(throws: WireFormat.Malformed.self) { _ = try buffer.next() }
  }

  @Test("workers settings: defaults, values, and errors that name the key")
  func settings() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("p.json")
    try #"{"version": 1}"#.write(toFile: path, atomically: true, encoding: .utf8)
    let defaults = try PipelineSettings.load(path: path)
    #expect(defaults.isolateWorkers)
    #expect(defaults.workerLimits == WorkerLimits())
    #expect(defaults.handOff)
    try #"""
    {"version": 1, "workers": {"isolate": false, "dump_timeout_seconds": 2.5,
     "memory_limit_mib": 512, "batch_size": 4, "hand_off": false}}
    """#.write(toFile: path, atomically: true, encoding: .utf8)
    let set = try PipelineSettings.load(path: path)
    #expect(!set.isolateWorkers)
    #expect(!set.handOff)
    #expect(set.workerLimits.dumpTimeoutSeconds == 2.5)
    #expect(set.workerLimits.memoryLimitMiB == 512)
    #expect(set.workerLimits.batchSize == 4)
    try #"""
    {"version": 1, "workers": {"isolate": "yes", "dump_timeout_seconds": 0,
     "memory_limit_mib": 1, "threads": 3}}
    """#.write(toFile: path, atomically: true, encoding: .utf8)
    let text = Self.errors(loading: path).joined(separator: "\n")
    for key in [
      "workers.isolate", "workers.dump_timeout_seconds", "workers.memory_limit_mib", "threads",
    ] {
      #expect(text.contains(key), "\(key) in \(text)")
    }
  }

  /// The messages of a pipeline file that does not load.
  static func errors(loading path: String) -> [String] {
    do {
      _ = try PipelineSettings.load(path: path)
      return ["accepted"]
    } catch {
      return error.messages
    }
  }

  @Test("the shipped pipeline file isolates workers")
  func shipped() throws {
    let settings = try PipelineSettings.load(path: "\(Corpus.packageRoot)/pipelines/nightly.json")
    #expect(settings.isolateWorkers)
    #expect(settings.workerLimits.dumpTimeoutSeconds == 120)
  }
}
