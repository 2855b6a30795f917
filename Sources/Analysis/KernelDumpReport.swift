import CPUContexts
import Foundation
import KernelDump
import Symbols

/// What `crashsift analyze` shows for a kernel dump: WinDbg's opening banner, the bug check with
/// its name and parameters, the faulting IP and module, and an `lm`-style module list.
public struct KernelDumpReport: Codable, Sendable, Equatable {
  public struct BugCheck: Codable, Sendable, Equatable {
    public var code: String
    public var name: String?
    public var parameters: [String]
  }

  public struct Fault: Codable, Sendable, Equatable {
    public var ip: String
    /// `module+0xrva`, or the address alone when no module holds it.
    public var location: String
    public var module: String?
    public var source: String
    /// `module!function+0xoff [file : line]` when symbols named it.
    public var symbol: String?
    /// Why symbols did not name it, when a symbol path was given.
    public var symbolMissing: String?
  }

  public struct Module: Codable, Sendable, Equatable {
    public var base: String
    public var end: String
    public var name: String
    public var timestamp: String
    public var path: String
  }

  public var file: String
  public var size: Int
  public var banner: String
  public var dumpType: String
  public var machine: String
  public var build: UInt32
  public var processors: UInt32
  public var kernelBase: String?
  public var psLoadedModuleList: String?
  public var debugSessionTime: String?
  public var systemUptime: String?
  public var bugCheck: BugCheck
  public var fault: Fault?
  public var instructionPointer: String?
  public var stackPointer: String?
  public var processName: String?
  public var currentThread: String?
  public var currentProcess: String?
  public var modules: [Module]
  public var unloadedDrivers: [String]
  public var virtualBytes: UInt64
  /// Full, bitmap and RDMP dumps: the physical pages held, and how addresses translate.
  public var physicalPages: UInt64?
  public var paging: String?
  public var problems: [String]

  /// `symbols`: when given, FAULTING_IP is named through the driver's image and PDB.
  public init(_ dump: KernelDump, name: String, symbols: SymbolTableCache? = nil) {
    let h = dump.header
    // WinDbg prints a 32-bit target's addresses with 8 digits.
    let hex: (UInt64) -> String = { Self.hex($0, digits: h.is64Bit ? 16 : 8) }
    file = name
    size = dump.file.bytes.count
    banner = h.dumpType.banner
    dumpType = h.dumpType.name
    machine = h.machineName
    build = h.minorVersion
    processors = h.numberProcessors
    kernelBase = dump.kernelBase.map(hex)
    psLoadedModuleList = h.psLoadedModuleList.map(hex)
    debugSessionTime = h.systemTime.map(Self.fileTime)
    systemUptime = h.systemUpTime.map(Self.duration)
    bugCheck = BugCheck(
      code: String(format: "0x%08X", h.bugCheckCode), name: BugCheckTable.name(for: h.bugCheckCode),
      parameters: h.bugCheckParameters.map(hex))
    if let index = BugCheckTable.faultingIPParameter(for: h.bugCheckCode) {
      let ip = h.bugCheckParameters[index]
      let module = dump.module(containing: ip)
      fault = Fault(
        ip: hex(ip),
        location: module.map { "\($0.name)+0x\(String(ip - $0.base, radix: 16))" } ?? hex(ip),
        module: module?.name, source: "bug check parameter \(index + 1)")
      if let symbols, let module {
        // WinDbg names kernel modules without their extension: `amdppm!WriteIoMemRawEx+0x70`.
        let stem = module.name.split(separator: ".").first.map(String.init) ?? module.name
        var location = CrashLocation(module: stem, moduleOffset: ip - module.base)
        switch symbols.table(
          imageName: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
        {
        case .failure(let error): location.missingSymbols = error.description
        case .success(let table): location.name(with: table, offset: ip - module.base)
        }
        if location.function != nil {
          fault?.symbol = location.text
        } else {
          fault?.symbolMissing = location.missingSymbols
        }
      }
    }
    instructionPointer = dump.context?.instructionPointer.map(hex)
    stackPointer = dump.context?.stackPointer.map(hex)
    processName = dump.processName
    currentThread = dump.currentThread.map(hex)
    currentProcess = dump.currentProcess.map(hex)
    modules = dump.modules.map {
      Module(
        base: hex($0.base), end: hex($0.end), name: $0.name,
        timestamp: String(format: "0x%08x", $0.timeDateStamp), path: $0.path)
    }
    unloadedDrivers = dump.unloadedDrivers.map(\.name)
    virtualBytes = dump.virtualRanges.reduce(0) { $0 + $1.size }
    physicalPages = dump.physicalMemory?.pageCount
    paging = dump.pagingMode?.rawValue
    problems = dump.problems
  }

  static func hex(_ value: UInt64, digits: Int = 16) -> String {
    let text = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, digits - text.count)) + text
  }

  /// FILETIME (100 ns since 1601) as ISO-8601 UTC.
  static func fileTime(_ value: UInt64) -> String {
    let seconds = Double(value) / 10_000_000 - 11_644_473_600
    return Date(timeIntervalSince1970: seconds).formatted(.iso8601)
  }

  /// 100 ns units as `Nd HH:MM:SS.mmm`, as WinDbg prints uptime.
  static func duration(_ value: UInt64) -> String {
    let milliseconds = value / 10_000
    let seconds = milliseconds / 1000
    let days = seconds / 86_400
    return String(
      format: "%llu days %02llu:%02llu:%02llu.%03llu", days, seconds % 86_400 / 3600,
      seconds % 3600 / 60,
      seconds % 60, milliseconds % 1000)
  }

  /// The human-readable form: banner, bug check, fault, then `lm`.
  public var text: String {
    var lines = ["\(file): \(banner)"]
    lines.append(
      "\(dumpType) dump, \(machine), build \(build), \(processors) processors, \(size) bytes")
    if let kernelBase {
      lines.append("Kernel base = \(kernelBase) PsLoadedModuleList = \(psLoadedModuleList ?? "?")")
    }
    if let debugSessionTime { lines.append("Debug session time: \(debugSessionTime)") }
    if let systemUptime { lines.append("System Uptime: \(systemUptime)") }
    lines.append("")
    lines.append(
      "BugCheck \(bugCheck.code.dropFirst(2)), {\(bugCheck.parameters.map { String($0.dropFirst(2)) }.joined(separator: ", "))}"
    )
    lines.append("  \(bugCheck.name ?? "(undocumented bug check)")")
    for (index, parameter) in bugCheck.parameters.enumerated() {
      lines.append("  Arg\(index + 1): \(parameter)")
    }
    if let fault {
      if let symbol = fault.symbol {
        lines.append(
          "FAULTING_IP: \(symbol)  (\(fault.location), \(fault.ip), from \(fault.source))")
      } else {
        lines.append("FAULTING_IP: \(fault.location)  (\(fault.ip), from \(fault.source))")
        if let missing = fault.symbolMissing { lines.append("  (no symbols: \(missing))") }
      }
    } else {
      lines.append("FAULTING_IP: not in the bug check parameters; the stack has to be walked")
    }
    if let instructionPointer {
      lines.append("Header context: ip \(instructionPointer)  sp \(stackPointer ?? "?")")
    }
    if let processName {
      lines.append("PROCESS_NAME: \(processName)")
    } else if currentProcess != nil {
      // The image name's EPROCESS offset is known for a few builds only (KernelDump's table), or
      // the dump does not hold that page.
      lines.append("PROCESS_NAME: unknown")
    }
    if let currentThread {
      lines.append("Current thread: \(currentThread)  process: \(currentProcess ?? "?")")
    }
    lines.append("")
    lines.append("Loaded modules (\(modules.count)):")
    let column = modules.first?.base.count ?? 18
    func padded(_ text: String) -> String {
      text + String(repeating: " ", count: max(1, column + 1 - text.count))
    }
    lines.append("  " + padded("start") + padded("end") + "module name")
    for module in modules {
      lines.append("  \(module.base) \(module.end) \(module.name)  \(module.timestamp)")
    }
    if !unloadedDrivers.isEmpty {
      lines.append("Unloaded modules: \(unloadedDrivers.joined(separator: ", "))")
    }
    lines.append("")
    if let physicalPages {
      lines.append(
        "Physical memory in the dump: \(physicalPages) pages (\(physicalPages * 4) KiB); address translation: \(paging ?? "not supported")"
      )
    } else {
      lines.append("Virtual memory in the dump: \(virtualBytes) bytes")
    }
    if !problems.isEmpty {
      lines.append("Problems:")
      for problem in problems { lines.append("  \(problem)") }
    }
    return lines.joined(separator: "\n")
  }
}
