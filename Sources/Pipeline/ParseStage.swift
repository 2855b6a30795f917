import Analysis
import ByteReader
import Checkpoint
import Foundation
import GRDB
import KernelDump
import Minidump

/// The parse stage: reads each stored dump and records what it is and how it crashed.
///
/// Minidumps are parsed fully (`Minidump`); a stream that cannot be read is listed in
/// `problems` without failing the dump. Kernel dumps give their header, bug check, driver list
/// and fault location (`KernelDump`; 32-bit dumps only their header and bug check so far, noted in
/// `problems`). Anything else is `failed` with its first bytes.
public struct ParseStage: DumpStage {
  public let name = "parse"
  /// 1: minidumps only. 2: kernel dumps too (64-bit in full, 32-bit header and bug check).
  /// 3: the processes and threads of kernel and full memory dumps. 4: each process's session.
  /// 5: each process's handle count.
  public let version = 5
  public let outputTables = [
    "parsed_dumps", "dump_modules", "kernel_dumps", "kernel_processes", "kernel_threads",
  ]

  public init() {}

  public func process(_ input: DumpStageInput) throws -> StageResult {
    switch input.item.kind {
    case .kernel32, .kernel64:
      return try kernel(input)
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
      let dump = try input.dump.minidump()
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
      var parsed = Self.parsedRows()
      parsed.append([
        sha, "MDMP", report.system?.cpu, report.system?.os, report.system?.osVersion,
        report.timestamp, report.processID.map { Int64($0) }, exception.map { Int64($0.code) },
        crash?.reason, crash.map { Int64(bitPattern: $0.address) },
        exception.map { Int64($0.threadID) },
        (exception?.context?.instructionPointer).map { Int64(bitPattern: $0) },
        report.threads.count, modules.count, problems,
      ])
      var moduleRows = Self.moduleRows()
      for (index, module) in modules.enumerated() {
        moduleRows.append([
          sha, index, Int64(bitPattern: module.baseOfImage), Int64(module.sizeOfImage), module.name,
          module.versionInfo.fileVersion, module.codeIdentifier, module.debugFile,
          module.codeView?.debugIdentifier,
        ])
      }
      return StageResult(tables: [parsed, moduleRows])
    }
  }

  private func kernel(_ input: DumpStageInput) throws -> StageResult {
    let dump = try input.dump.kernelDump()
    let report = KernelDumpReport(dump, name: input.item.dumpSHA256)
    // A triage dump holds one process and one thread, not a list: nothing to walk.
    let processList =
      dump.header.dumpType == .triage ? nil : KernelProcessList.read(from: dump)
    let h = dump.header
    let sha = input.item.dumpSHA256
    let faultIP = BugCheckTable.faultingIPParameter(for: h.bugCheckCode).map {
      h.bugCheckParameters[$0]
    }
    let faultModule = faultIP.flatMap { dump.module(containing: $0) }
    let problems: String? =
      dump.problems.isEmpty
      ? nil
      : String(
        decoding: (try? JSONEncoder().encode(dump.problems)) ?? Data("[]".utf8), as: UTF8.self)
    var parsed = Self.parsedRows()
    parsed.append(
      [
        sha, h.is64Bit ? "PAGEDU64" : "PAGEDUMP", h.machineName, "Windows NT",
        "\(h.majorVersion == 0xF ? "10.0." : "")\(h.minorVersion)",
        report.debugSessionTime, nil, Int64(h.bugCheckCode),
        BugCheckTable.name(for: h.bugCheckCode),
        faultIP.map { Int64(bitPattern: $0) }, nil,
        dump.context?.instructionPointer.map { Int64(bitPattern: $0) },
        0, dump.modules.count, problems,
      ])
    var kernel = StageRows(
      table: "kernel_dumps",
      columns: [
        "dump_sha256", "dump_type", "machine", "build", "bugcheck_code", "bugcheck_name",
        "parameter1", "parameter2", "parameter3", "parameter4", "fault_ip", "fault_module",
        "fault_offset", "process_name", "kernel_base", "process_list",
      ])
    kernel.append(
      [
        sha, Int64(h.dumpType.rawValue), h.machineName, Int64(h.minorVersion),
        Int64(h.bugCheckCode),
        BugCheckTable.name(for: h.bugCheckCode),
        Int64(bitPattern: h.bugCheckParameters[0]), Int64(bitPattern: h.bugCheckParameters[1]),
        Int64(bitPattern: h.bugCheckParameters[2]), Int64(bitPattern: h.bugCheckParameters[3]),
        faultIP.map { Int64(bitPattern: $0) }, faultModule?.name,
        // The module contains the address, so the offset is below its size.
        faultIP.flatMap { ip in faultModule.map { Int64(bitPattern: ip &- $0.base) } },
        dump.processName, dump.kernelBase.map { Int64(bitPattern: $0) },
        processList.map { list in
          list.isComplete
            ? "complete"
            : (list.problems + list.processes.compactMap(\.threadProblem).prefix(3))
              .joined(separator: "; ")
        },
      ])
    var modules = Self.moduleRows()
    for (index, module) in dump.modules.enumerated() {
      modules.append([
        sha, index, Int64(bitPattern: module.base), Int64(module.size), module.name, nil,
        module.codeIdentifier, nil, nil,
      ])
    }
    let (processes, threads) = Self.processRows(sha, processList)
    return StageResult(tables: [parsed, kernel, modules, processes, threads])
  }

  /// `kernel_processes` and `kernel_threads` rows of a walked process list (none without one).
  static func processRows(_ sha: String, _ list: KernelProcessList?) -> (StageRows, StageRows) {
    var processes = StageRows(
      table: "kernel_processes",
      columns: [
        "dump_sha256", "idx", "address", "process_id", "parent_process_id", "image_name",
        "create_time", "directory_table_base", "peb", "object_table", "thread_problem",
        "session", "session_id", "handle_count", "handle_count_problem",
      ])
    var threads = StageRows(
      table: "kernel_threads",
      columns: [
        "dump_sha256", "process_idx", "idx", "address", "thread_id", "state", "wait_reason",
        "wait_mode", "priority", "teb", "win32_start_address", "kernel_stack",
      ])
    let bits = { (value: UInt64?) in value.map { Int64(bitPattern: $0) } }
    for (index, process) in (list?.processes ?? []).enumerated() {
      processes.append([
        sha, index, Int64(bitPattern: process.address), bits(process.processID),
        bits(process.parentProcessID), process.imageName, bits(process.createTime),
        bits(process.directoryTableBase), bits(process.peb), bits(process.objectTable),
        process.threadProblem, bits(process.session), process.sessionID.map { Int64($0) },
        process.handleCount.map { Int64($0) }, process.handleCountProblem,
      ])
      for (number, thread) in process.threads.enumerated() {
        threads.append([
          sha, index, number, Int64(bitPattern: thread.address), bits(thread.threadID),
          thread.state.map { Int64($0) }, thread.waitReason.map { Int64($0) },
          thread.waitMode.map { Int64($0) }, thread.priority.map { Int64($0) }, bits(thread.teb),
          bits(thread.win32StartAddress), bits(thread.kernelStack),
        ])
      }
    }
    return (processes, threads)
  }

  /// `dump_modules` rows: (dump, index, base, size, name, version, code id, debug file, debug id).
  static func moduleRows() -> StageRows {
    StageRows(
      table: "dump_modules",
      columns: [
        "dump_sha256", "idx", "base", "size", "name", "version", "code_id", "debug_file",
        "debug_id",
      ])
  }

  /// The `parsed_dumps` row, the 15 columns in table order.
  static func parsedRows() -> StageRows {
    StageRows(
      table: "parsed_dumps",
      columns: [
        "dump_sha256", "format", "cpu", "os", "os_version", "dump_time", "process_id",
        "exception_code", "crash_reason", "crash_address", "crashing_thread", "faulting_ip",
        "thread_count", "module_count", "problems",
      ])
  }
}
