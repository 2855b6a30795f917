import Analysis
import ByteReader
import Checkpoint
import Foundation
import GRDB
import KernelDump
import Minidump
import SymbolServer
import Symbols
import Synchronization

/// The symbolize stage: walks each parsed dump's crashing thread and names every frame from the
/// symbol path.
///
/// Minidumps walk the exception thread from the exception context; kernel dumps walk from the
/// header context (falling back to the bug check's faulting IP as a lone frame when the dump has
/// no context). A dump whose crashing frame lacks symbols (its module has a debug id the path
/// does not serve) is `deferred` with the reason, its rows still written, and `symbol_lookups`
/// records the lookup it waits for. A later run asks each waiting lookup once and redoes only the
/// dumps whose lookup now finds a table (`wakeDeferred`), so adding the PDB or .sym to a store, a
/// server that comes back or a negative-cache entry that expires is enough, without re-walking
/// every deferred dump every night. A kernel dump names its
/// drivers only by file name, timestamp and size: the image is fetched from the store by those
/// (as WinDbg does), and its CodeView record gives the PDB's debug id.
public struct SymbolizeStage: DumpStage {
  public let name = "symbolize"
  /// 1: frame 0 only. 2: the walked crashing-thread stack, with trust and stack pointers. 3: the
  /// same plus every other thread (`all_threads`), so turning the setting on or off redoes every
  /// dump.
  public let version: Int
  public let outputTables = ["crash_stacks", "stack_walks", "thread_stacks", "symbol_lookups"]
  let symbols: SymbolTableCache?
  let allThreads: Bool

  /// `symbolPath`: `_NT_SYMBOL_PATH` syntax; `nil` or empty defers every symbolizable dump.
  /// `allThreads`: also walk every other thread of a minidump into `thread_stacks`.
  /// `offline`: never ask the path's symbol servers. Otherwise a path with servers gets an HTTP
  /// client configured from the environment (`SymbolServerConfiguration.fromEnvironment`, checked
  /// by the CLI before the run starts, so a bad setting fails the run, not each dump).
  public init(
    symbolPath: String?, allThreads: Bool = false, cache: String? = SymbolPath.userCache,
    offline: Bool = false
  ) {
    symbols = symbolPath.flatMap { text in
      guard !text.isEmpty else { return nil }
      let path = SymbolPath(parsing: text, defaultCache: cache)
      var client: (any SymbolServerClient)?
      if path.hasServers && !offline {
        client = (try? SymbolServerConfiguration.fromEnvironment()).flatMap {
          try? HTTPSymbolServer(configuration: $0)
        }
      }
      return SymbolTableCache(path: path, client: client)
    }
    self.allThreads = allThreads
    // 4/5: kernel stacks are walked from the trap frame or context record the bug check names.
    // 6/7: `symbol_lookups` is written for every dump (what answered, what a deferred dump
    // waits for). 8/9: a frame whose lookup found nothing names the lookup, not every place
    // asked (that is in `symbol_lookups`).
    version = allThreads ? 9 : 8
  }

  public func process(_ input: DumpStageInput) throws -> StageResult {
    let sha = input.item.dumpSHA256
    switch input.item.kind {
    case .minidump:
      let dump = try input.dump.minidump()
      let others = allThreads ? otherThreads(dump) : []
      guard let stack = ThreadStack.crashingThread(of: dump, symbols: symbols) else {
        // No exception: nothing crashed; other threads are still walked when asked for.
        return StageResult(tables: [Self.threadRows(sha, others)])
      }
      return result(sha, stack, others: others)
    case .kernel32, .kernel64:
      let dump = try input.dump.kernelDump()
      if let stack = ThreadStack.crashingThread(of: dump, symbols: symbols), !stack.frames.isEmpty {
        return result(sha, stack)
      }
      return faultingIPOnly(sha, dump)
    case .unknown:
      return StageResult()
    }
  }

  /// Rows for a walked stack; deferred when the crashing frame's module waits for symbols. Other
  /// modules without symbols are listed in `stack_walks.missing_symbols` but do not defer the
  /// dump: most user stacks pass through system DLLs whose symbols an offline store rarely has,
  /// and deferring those would retry nearly every dump on every run.
  func result(_ sha: String, _ stack: ThreadStack, others: [ThreadStack] = []) -> StageResult {
    let rows = Self.crashStack(sha, stack.frames.map(Self.packed))
    let missing =
      stack.missingSymbols.isEmpty
      ? nil
      : String(
        decoding: (try? Self.sortedEncoder.encode(stack.missingSymbols)) ?? Data(), as: UTF8.self)
    var walk = StageRows(
      table: "stack_walks",
      columns: [
        "dump_sha256", "thread_id", "frame_count", "stop_reason", "truncated", "missing_symbols",
      ])
    walk.append([
      sha, stack.threadID.map { Int64($0) }, stack.frames.count, stack.stopReason,
      stack.truncated ? 1 : 0, missing,
    ])
    var outcome = StageOutcome.done
    var blocking: SymbolLookup?
    if let waiting = stack.frames.first, waiting.location.awaitsSymbols {
      outcome = StageOutcome(
        status: .deferred, error: waiting.location.missingSymbols ?? "no symbols")
      blocking = waiting.location.lookup
    }
    let lookups = lookupRows(sha, stack.frames.map(\.location), blocking: blocking)
    return StageResult(
      outcome: outcome, tables: [rows, Self.threadRows(sha, others), walk, lookups])
  }

  /// One `symbol_lookups` row per module lookup on the crashing stack: found or not, what
  /// answered or why nothing did, and whether the dump waits for it (`blocking`).
  func lookupRows(_ sha: String, _ locations: [CrashLocation], blocking: SymbolLookup?)
    -> StageRows
  {
    var rows = StageRows(
      table: "symbol_lookups",
      columns: ["dump_sha256", "lookup", "module", "found", "answer", "blocking"])
    var seen: Set<SymbolLookup> = []
    for location in locations {
      guard let lookup = location.lookup, seen.insert(lookup).inserted else { continue }
      let source = symbols?.source(for: lookup)
      // Found when the table answered (a frame may still fall outside every function).
      let found = source != nil
      let answer = source ?? location.missingSymbols ?? "not looked up"
      rows.append([
        sha, lookup.text, location.module, found ? 1 : 0, answer, lookup == blocking ? 1 : 0,
      ])
    }
    return rows
  }

  /// Marks `pending` the deferred dumps whose wait may be over, before the stage's work: each
  /// distinct lookup a deferred dump waits for is asked once (stores, server caches, the negative
  /// cache, and the servers when their answer may have changed), and only the dumps whose lookup
  /// now finds a table are redone. Dumps deferred without a recorded lookup (older workspaces)
  /// are all redone once. Returns how many dumps were marked.
  public func wakeDeferred(_ database: CheckpointDatabase) throws -> Int {
    let (waiting, unrecorded) = try database.read { db in
      let lookups = try String.fetchAll(
        db,
        sql: """
          SELECT DISTINCT l.lookup FROM stage_state s
          JOIN symbol_lookups l ON l.dump_sha256 = s.dump_sha256 AND l.blocking = 1
          WHERE s.stage = ? AND s.status = 'deferred' ORDER BY l.lookup
          """, arguments: [name])
      let unrecorded = try Bool.fetchOne(
        db,
        sql: """
          SELECT EXISTS (SELECT 1 FROM stage_state s WHERE s.stage = ? AND s.status = 'deferred'
            AND NOT EXISTS (SELECT 1 FROM symbol_lookups l
              WHERE l.dump_sha256 = s.dump_sha256 AND l.blocking = 1))
          """, arguments: [name])
      return (lookups, unrecorded ?? false)
    }
    var ready: [String] = []
    if let symbols, !waiting.isEmpty {
      // Lookups may wait on servers: asked side by side (each server's own gate bounds them).
      let found = Mutex<[String]>([])
      DispatchQueue.concurrentPerform(iterations: waiting.count) { index in
        guard let lookup = SymbolLookup(text: waiting[index]) else { return }
        if case .success = symbols.table(for: lookup) {
          found.withLock { $0.append(waiting[index]) }
        }
      }
      ready = found.withLock { $0 }
    }
    guard !ready.isEmpty || unrecorded else { return 0 }
    return try database.write { db in
      var woken = 0
      let now = Timestamp.now()
      // Bound lists: SQLite caps the number of parameters of one statement.
      for start in stride(from: 0, to: ready.count, by: 500) {
        let chunk = Array(ready[start..<min(start + 500, ready.count)])
        try db.execute(
          sql: """
            UPDATE stage_state SET status = 'pending', updated_at = ?
            WHERE stage = ? AND status = 'deferred' AND dump_sha256 IN (
              SELECT dump_sha256 FROM symbol_lookups
              WHERE blocking = 1 AND lookup IN (\(databaseQuestionMarks(count: chunk.count))))
            """, arguments: StatementArguments([now, name] + chunk))
        woken += db.changesCount
      }
      if unrecorded {
        try db.execute(
          sql: """
            UPDATE stage_state SET status = 'pending', updated_at = ?
            WHERE stage = ? AND status = 'deferred' AND NOT EXISTS (
              SELECT 1 FROM symbol_lookups l WHERE l.dump_sha256 = stage_state.dump_sha256
                AND l.blocking = 1)
            """, arguments: [now, name])
        woken += db.changesCount
      }
      return woken
    }
  }

  /// Every thread of a minidump except the exception's, walked from its own context.
  func otherThreads(_ dump: Minidump) -> [ThreadStack] {
    let crashing = (try? dump.exception())??.threadID
    return (((try? dump.threads()) ?? nil) ?? []).compactMap { thread in
      guard thread.threadID != crashing, let context = thread.context else { return nil }
      return ThreadStack.walk(
        dump, context: context, thread: thread, threadID: thread.threadID, symbols: symbols)
    }
  }

  /// `thread_stacks` rows: one per stack, its frames packed (the `thread_frames` view's
  /// columns: no line offset, reason or inlines).
  static func threadRows(_ sha: String, _ stacks: [ThreadStack]) -> StageRows {
    var rows = StageRows(table: "thread_stacks", columns: ["dump_sha256", "thread_id", "frames"])
    for stack in stacks {
      let frames = stack.frames.map { frame in
        var packed = Self.packed(frame)
        packed.lineOffset = nil
        packed.missing = nil
        packed.inlines = []
        return packed
      }
      rows.append([sha, Int64(stack.threadID ?? 0), PackedFrame.pack(frames)])
    }
    return rows
  }

  static let sortedEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  /// A kernel dump without a usable context: the bug check's faulting IP as the only frame.
  func faultingIPOnly(_ sha: String, _ dump: KernelDump) -> StageResult {
    let header = dump.header
    guard
      let parameter = BugCheckTable.faultingIPParameter(for: header.bugCheckCode),
      parameter < header.bugCheckParameters.count
    else { return StageResult() }
    let ip = header.bugCheckParameters[parameter]
    guard let module = dump.module(containing: ip) else {
      let location = CrashLocation(missingSymbols: "no driver contains the address")
      return StageResult(tables: [Self.crashStack(sha, [Self.packed(address: ip, location)])])
    }
    var location = CrashLocation(module: module.name, moduleOffset: ip - module.base)
    let lookup = SymbolLookup.image(
      name: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
    location.lookup = lookup
    var outcome = StageOutcome.done
    if let symbols {
      switch symbols.table(
        imageName: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
      {
      case .failure(let error):
        location.missingSymbols = error.description
        location.awaitsSymbols = true
        outcome = StageOutcome(status: .deferred, error: error.description)
      case .success(let table):
        location.name(with: table, offset: ip - module.base)
      }
    } else {
      location.missingSymbols = "no symbol path given"
      outcome = StageOutcome(status: .deferred, error: "no symbol path given")
    }
    let rows = Self.crashStack(sha, [Self.packed(address: ip, location)])
    let lookups = lookupRows(
      sha, [location], blocking: outcome.status == .deferred ? lookup : nil)
    return StageResult(outcome: outcome, tables: [rows, lookups])
  }

  /// A frame's reason for having no name, short when its module's lookup found nothing: the
  /// whole answer (every folder and URL asked) is in `symbol_lookups` and
  /// `stack_walks.missing_symbols` once per module, and repeating it on every frame made a warm
  /// run over symbol servers write several times the bytes of a local one.
  static func frameReason(_ location: CrashLocation) -> String? {
    guard location.awaitsSymbols, let lookup = location.lookup,
      let reason = location.missingSymbols, reason != "no symbol path given"
    else { return location.missingSymbols }
    return "no symbols found for \(lookup.text)"
  }

  static func packed(_ frame: ThreadStack.Frame) -> PackedFrame {
    packed(
      address: frame.instruction, frame.location, stackPointer: frame.stackPointer,
      trust: frame.trust.rawValue)
  }

  static func packed(
    address: UInt64, _ location: CrashLocation, stackPointer: UInt64? = nil, trust: String? = nil
  ) -> PackedFrame {
    PackedFrame(
      address: Int64(bitPattern: address), stackPointer: stackPointer.map { Int64(bitPattern: $0) },
      trust: trust, module: location.module,
      moduleOffset: location.moduleOffset.map { Int64(bitPattern: $0) },
      function: location.function,
      functionOffset: location.functionOffset.map { Int64(bitPattern: $0) }, file: location.file,
      line: location.line.map { Int64($0) },
      lineOffset: location.lineOffset.map { Int64(bitPattern: $0) },
      missing: frameReason(location), inlines: location.inlines)
  }

  /// The dump's `crash_stacks` row: the crashing thread's frames as one value (`PackedFrame`),
  /// read back one row per frame through the `symbolized_frames` view. No row for no frames (as
  /// migrated workspaces have none).
  static func crashStack(_ sha: String, _ frames: [PackedFrame]) -> StageRows {
    var rows = StageRows(table: "crash_stacks", columns: ["dump_sha256", "frames"])
    if !frames.isEmpty { rows.append([sha, PackedFrame.pack(frames)]) }
    return rows
  }
}
