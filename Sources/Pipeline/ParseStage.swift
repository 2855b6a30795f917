import ByteReader
import Checkpoint
import Foundation
import GRDB
import Minidump

/// The parse stage: reads each stored dump and records what it is and how it crashed.
///
/// Minidumps are parsed fully (`Minidump`); a stream that cannot be read is listed in
/// `problems` without failing the dump. Kernel dumps are `deferred` until the kernel-dump reader
/// lands (a version bump will then parse them). Anything else is `failed` with its first bytes.
public struct ParseStage: DumpStage {
  public let name = "parse"
  /// 1: minidumps only.
  public let version = 1
  public let outputTables = ["parsed_dumps", "dump_modules"]

  public init() {}

  public func process(_ input: DumpStageInput) throws -> StageResult {
    switch input.item.kind {
    case .kernel64, .kernel32:
      return .deferred("kernel dumps are not parsed yet: the kernel-dump reader has not landed")
    case .unknown:
      let head = (try? MappedFile(path: input.path))
        .map { file in
          file.bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        }
      throw ParseError(
        "dump",
        "not a minidump or kernel dump (first bytes: \(head ?? "unreadable")); the file was stored because of its name"
      )
    case .minidump:
      let dump = try Minidump(path: input.path)
      let report = MinidumpReport(dump, name: input.item.dumpSHA256)
      let exception = try? dump.exception()
      let crash = try? dump.crashReason()
      let modules = (try? dump.modules()) ?? []
      let sha = input.item.dumpSHA256
      let problems: String? =
        report.errors.isEmpty
        ? nil
        : String(
          decoding: (try? JSONEncoder().encode(report.errors)) ?? Data("[]".utf8), as: UTF8.self)
      let row: [(any DatabaseValueConvertible)?] = [
        sha, "MDMP", report.system?.cpu, report.system?.os, report.system?.osVersion,
        report.timestamp, report.processID.map { Int64($0) }, exception.map { Int64($0.code) },
        crash?.reason, crash.map { Int64(bitPattern: $0.address) },
        exception.map { Int64($0.threadID) },
        (exception?.context?.instructionPointer).map { Int64(bitPattern: $0) },
        report.threads.count, modules.count, problems,
      ]
      let moduleRows: [[(any DatabaseValueConvertible)?]] = modules.enumerated().map {
        index, module in
        [
          sha, index, Int64(bitPattern: module.baseOfImage), Int64(module.sizeOfImage), module.name,
          module.versionInfo.fileVersion, module.codeIdentifier, module.debugFile,
          module.codeView?.debugIdentifier,
        ]
      }
      let rowArguments = StatementArguments(row)
      let moduleArguments = moduleRows.map { StatementArguments($0) }
      return StageResult { db in
        try db.execute(
          sql: """
            INSERT INTO parsed_dumps (dump_sha256, format, cpu, os, os_version, dump_time,
              process_id, exception_code, crash_reason, crash_address, crashing_thread, faulting_ip,
              thread_count, module_count, problems) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: rowArguments)
        let statement = try db.cachedStatement(
          sql: """
            INSERT INTO dump_modules (dump_sha256, idx, base, size, name, version, code_id,
              debug_file, debug_id) VALUES (?,?,?,?,?,?,?,?,?)
            """)
        for arguments in moduleArguments { try statement.execute(arguments: arguments) }
      }
    }
  }
}
