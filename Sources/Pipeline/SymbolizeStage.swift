import Analysis
import ByteReader
import Checkpoint
import Foundation
import GRDB
import KernelDump
import Minidump
import Symbols

/// The symbolize stage: names each parsed dump's crash address (frame 0) from the symbol path.
///
/// A minidump whose faulting module has a debug id but no symbols in the path is `deferred` with
/// the reason, its module+offset row still written; every later run retries deferred dumps, so
/// adding the PDB or .sym to the store is enough. A kernel dump names its drivers only by file
/// name, timestamp and size: the image is fetched from the store by those (as WinDbg does), and
/// its CodeView record gives the PDB's debug id; a missing image or PDB defers the dump likewise.
public struct SymbolizeStage: DumpStage {
  public let name = "symbolize"
  /// 1: frame 0 only (no unwinder yet).
  public let version = 1
  public let outputTables = ["symbolized_frames"]
  public let retriesDeferredEveryRun = true
  let symbols: SymbolTableCache?

  /// `symbolPath`: `_NT_SYMBOL_PATH` syntax; `nil` or empty defers every symbolizable dump.
  public init(symbolPath: String?, cache: String? = SymbolPath.userCache) {
    symbols = symbolPath.flatMap { text in
      text.isEmpty ? nil : SymbolTableCache(path: SymbolPath(parsing: text, defaultCache: cache))
    }
  }

  public func process(_ input: DumpStageInput) throws -> StageResult {
    let sha = input.item.dumpSHA256
    switch input.item.kind {
    case .minidump:
      let dump = try Minidump(path: input.path)
      guard let ip = (try? dump.exception())??.context?.instructionPointer else {
        return StageResult { _ in }  // No exception: nothing crashed, nothing to name.
      }
      let location = CrashLocation.locate(ip, in: (try? dump.modules()) ?? [], symbols: symbols)
      let row = Self.row(sha, frame: 0, address: ip, location)
      let outcome =
        location.awaitsSymbols
        ? StageOutcome(status: .deferred, error: location.missingSymbols ?? "no symbols")
        : .done
      return StageResult(outcome: outcome) { db in try Self.insert(db, row) }
    case .kernel32, .kernel64:
      let dump = try KernelDump(path: input.path)
      let header = dump.header
      guard
        let parameter = BugCheckTable.faultingIPParameter(for: header.bugCheckCode),
        parameter < header.bugCheckParameters.count
      else { return StageResult { _ in } }
      let ip = header.bugCheckParameters[parameter]
      guard let module = dump.module(containing: ip) else {
        let location = CrashLocation(missingSymbols: "no driver contains the address")
        let row = Self.row(sha, frame: 0, address: ip, location)
        return StageResult { db in try Self.insert(db, row) }
      }
      var location = CrashLocation(module: module.name, moduleOffset: ip - module.base)
      var outcome = StageOutcome.done
      if let symbols {
        switch symbols.table(
          imageName: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
        {
        case .failure(let error):
          location.missingSymbols = error.description
          outcome = StageOutcome(status: .deferred, error: error.description)
        case .success(let table):
          location.name(with: table, offset: ip - module.base)
        }
      } else {
        location.missingSymbols = "no symbol path given"
        outcome = StageOutcome(status: .deferred, error: "no symbol path given")
      }
      let row = Self.row(sha, frame: 0, address: ip, location)
      return StageResult(outcome: outcome) { db in try Self.insert(db, row) }
    case .unknown:
      return StageResult { _ in }
    }
  }

  static func row(_ sha: String, frame: Int, address: UInt64, _ location: CrashLocation)
    -> StatementArguments
  {
    let inlines =
      location.inlines.isEmpty
      ? nil
      : String(decoding: (try? JSONEncoder().encode(location.inlines)) ?? Data(), as: UTF8.self)
    return StatementArguments(
      [
        sha, frame, Int64(bitPattern: address), location.module,
        location.moduleOffset.map { Int64(bitPattern: $0) }, location.function,
        location.functionOffset.map { Int64(bitPattern: $0) }, location.file,
        location.line.map { Int64($0) }, inlines, location.missingSymbols,
      ] as [(any DatabaseValueConvertible)?])
  }

  static func insert(_ db: Database, _ row: StatementArguments) throws {
    try db.execute(
      sql: """
        INSERT INTO symbolized_frames (dump_sha256, frame, address, module, module_offset,
          function, function_offset, file, line, inlines, missing) VALUES (?,?,?,?,?,?,?,?,?,?,?)
        """, arguments: row)
  }
}
