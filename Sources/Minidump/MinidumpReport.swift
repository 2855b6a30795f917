import ByteReader
import CodeView
import Foundation

/// Everything `crashsift analyze` shows for a minidump, as plain values (and JSON).
///
/// Built by reading every stream; a stream that cannot be read becomes an entry in `errors`
/// instead of failing the report.
public struct MinidumpReport: Codable, Sendable, Equatable {
  public struct System: Codable, Sendable, Equatable {
    public var os: String
    public var osVersion: String
    public var cpu: String
    public var cpuInfo: String?
    public var processors: Int
  }

  public struct Crash: Codable, Sendable, Equatable {
    public var reason: String
    public var address: String
    public var code: String
    public var flags: String
    public var threadID: UInt32
    public var parameters: [String]
    public var instructionPointer: String?
  }

  public struct Module: Codable, Sendable, Equatable {
    public var base: String
    public var end: String
    public var name: String
    public var version: String?
    public var codeID: String
    public var debugFile: String?
    public var debugID: String?
  }

  public struct Thread: Codable, Sendable, Equatable {
    public var id: UInt32
    public var name: String?
    public var crashed: Bool
    public var instructionPointer: String?
    public var stackPointer: String?
    public var stack: String
    public var contextError: String?
  }

  public struct Stream: Codable, Sendable, Equatable {
    public var type: String
    public var size: UInt32
    public var offset: UInt32
  }

  public var file: String
  public var size: Int
  public var kind = "MDMP"
  public var timestamp: String
  public var system: System?
  public var processID: UInt32?
  public var buildString: String?
  public var crash: Crash?
  public var assertion: MinidumpAssertionInfo.Summary?
  public var annotations: [String: String] = [:]
  public var modules: [Module] = []
  public var unloadedModules: [String] = []
  public var threads: [Thread] = []
  public var memoryRanges = 0
  public var streams: [Stream] = []
  /// Streams that could not be read, each with its reason.
  public var errors: [String] = []
  /// The crash address as `module!function+0xoff [file : line]`, filled in by a symbolizer.
  public var crashLocation: String?

  public init(_ dump: Minidump, name: String) {
    file = name
    size = dump.file.bytes.count
    timestamp = Self.iso(dump.header.timeDateStamp)
    streams = dump.directory.filter { $0.type != .unused }.map {
      Stream(type: $0.type.name, size: $0.dataSize, offset: $0.rva)
    }
    errors += dump.directoryProblems.map(\.description)
    var errors = self.errors
    func attempt<T>(_ body: () throws -> T?) -> T? {
      do { return try body() } catch {
        errors.append("\(error)")
        return nil
      }
    }
    let info = attempt { try dump.systemInfo() }
    if let info {
      system = System(
        os: info.osName, osVersion: String(info.osVersion.reversed().drop { $0 == " " }.reversed()),
        cpu: info.processorArchitecture.name, cpuInfo: info.cpuDescription,
        processors: Int(info.numberOfProcessors))
    }
    let is32Bit = info?.processorArchitecture.is32Bit ?? false
    let misc = attempt { try dump.miscInfo() }
    processID = misc?.processID
    buildString = misc?.buildString
    let exception = attempt { try dump.exception() }
    if let exception {
      let reason = dump.crashReason(for: exception)
      crash = Crash(
        reason: reason.reason, address: Self.hex(reason.address, is32Bit),
        code: Self.hex(UInt64(exception.code), true),
        flags: Self.hex(UInt64(exception.flags), true),
        threadID: exception.threadID, parameters: exception.parameters.map { Self.hex($0, false) },
        instructionPointer: exception.context?.instructionPointer.map { Self.hex($0, is32Bit) })
      if let error = exception.contextError { errors.append("exception context: \(error)") }
    }
    assertion = attempt { try dump.assertionInfo() }.map(\.summary)
    if let crashpad = attempt({ try dump.crashpadInfo() }) {
      annotations = crashpad.simpleAnnotations
      for module in crashpad.modules {
        for (key, value) in module.simpleAnnotations { annotations[key] = value }
      }
    }
    for module in attempt({ try dump.modules() }) ?? [] {
      modules.append(
        Module(
          base: Self.hex(module.baseOfImage, is32Bit), end: Self.hex(module.end, is32Bit),
          name: module.name, version: module.versionInfo.fileVersion,
          codeID: module.codeIdentifier, debugFile: module.debugFile,
          debugID: module.codeView?.debugIdentifier))
      if let error = module.codeViewError { errors.append("\(module.baseName): \(error)") }
    }
    unloadedModules = (attempt { try dump.unloadedModules() } ?? []).map(\.name)
    for thread in attempt({ try dump.threads() }) ?? [] {
      threads.append(
        Thread(
          id: thread.threadID, name: thread.name, crashed: thread.threadID == exception?.threadID,
          instructionPointer: thread.context?.instructionPointer.map { Self.hex($0, is32Bit) },
          stackPointer: thread.context?.stackPointer.map { Self.hex($0, is32Bit) },
          stack:
            "\(Self.hex(thread.stack.start, is32Bit))+\(Self.hex(thread.stack.size, true))",
          contextError: thread.contextError))
    }
    memoryRanges = attempt { try dump.memory() }?.ranges.count ?? 0
    self.errors = errors
  }

  /// `0x` and 8 (when it fits a 32-bit CPU's address) or 16 zero-padded hex digits.
  static func hex(_ value: UInt64, _ narrow: Bool) -> String {
    HexFormat.string { out in
      out += [UInt8(ascii: "0"), UInt8(ascii: "x")]
      HexFormat.append(value, width: narrow && value <= 0xFFFF_FFFF ? 8 : 16, to: &out)
    }
  }

  /// `YYYY-MM-DDTHH:MM:SSZ` (UTC) through gmtime_r: formatters are slow to build.
  static func iso(_ stamp: UInt32) -> String {
    var time = time_t(stamp)
    var parts = tm()
    gmtime_r(&time, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return
      "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
  }

  /// The human-readable form, in the order an engineer reads a crash.
  public var text: String {
    var lines = ["\(file): user-mode minidump (MDMP), \(size) bytes, written \(timestamp)"]
    if let system {
      lines.append("Operating system: \(system.os) \(system.osVersion)")
      lines.append(
        "CPU: \(system.cpu)\(system.cpuInfo.map { " (\($0))" } ?? ""), \(system.processors) processor(s)"
      )
    }
    if let processID { lines.append("Process id: \(processID)") }
    if let buildString { lines.append("OS build: \(buildString)") }
    if let crash {
      lines.append("")
      lines.append("Crash reason:  \(crash.reason)")
      lines.append("Crash address: \(crash.address)")
      lines.append(
        "Exception:     code \(crash.code), flags \(crash.flags), thread 0x\(String(crash.threadID, radix: 16))"
      )
      if !crash.parameters.isEmpty {
        lines.append("Parameters:    \(crash.parameters.joined(separator: " "))")
      }
      if let ip = crash.instructionPointer { lines.append("Faulting IP:   \(ip)") }
      if let crashLocation { lines.append("Location:      \(crashLocation)") }
    } else {
      lines.append("")
      lines.append("No exception stream: the process did not crash (a hang or on-demand dump).")
    }
    if let assertion {
      lines.append(
        "Assertion:     \(assertion.type): \(assertion.expression) in \(assertion.function) (\(assertion.file):\(assertion.line))"
      )
    }
    for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
      lines.append("Annotation:    \(key) = \(value)")
    }
    lines.append("")
    lines.append("Threads (\(threads.count)):")
    for thread in threads {
      var line = "  0x\(String(thread.id, radix: 16))\(thread.crashed ? " (crashed)" : "")"
      if let name = thread.name { line += " \"\(name)\"" }
      if let ip = thread.instructionPointer { line += "  ip \(ip)" }
      if let sp = thread.stackPointer { line += "  sp \(sp)" }
      if let error = thread.contextError { line += "  context unreadable: \(error)" }
      lines.append(line)
    }
    lines.append("")
    lines.append("Modules (\(modules.count)):")
    for module in modules {
      var line = "  \(module.base) - \(module.end)  \(module.name)"
      if let version = module.version { line += "  \(version)" }
      if let debugFile = module.debugFile, let debugID = module.debugID {
        line += "  (\(debugFile) \(debugID))"
      }
      lines.append(line)
    }
    if !unloadedModules.isEmpty {
      lines.append("Unloaded modules: \(unloadedModules.joined(separator: ", "))")
    }
    lines.append("")
    lines.append(
      "Streams: \(streams.map { "\($0.type)(\($0.size))" }.joined(separator: " ")); \(memoryRanges) memory ranges"
    )
    if !errors.isEmpty {
      lines.append("Problems:")
      for error in errors { lines.append("  \(error)") }
    }
    return lines.joined(separator: "\n")
  }
}
