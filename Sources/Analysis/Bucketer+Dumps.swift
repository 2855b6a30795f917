import KernelDump
import Minidump

extension Bucketer {
  /// What crashed in a minidump: its exception, nil when it has none.
  public static func crash(of dump: Minidump) -> Crash? {
    guard let exception = (try? dump.exception()) ?? nil else { return nil }
    return .user(code: UInt64(exception.code), parameters: exception.parameters)
  }

  /// What crashed in a kernel dump: its bug check.
  public static func crash(of dump: KernelDump) -> Crash {
    .kernel(
      code: UInt64(dump.header.bugCheckCode), parameters: dump.header.bugCheckParameters)
  }

  /// The frame at the bug check's faulting address (the parameter that holds it, for the codes
  /// that have one), when a loaded driver holds it; named by module and offset.
  public static func faultingFrame(of dump: KernelDump) -> Frame? {
    let h = dump.header
    guard let index = BugCheckTable.faultingIPParameter(for: h.bugCheckCode),
      index < h.bugCheckParameters.count
    else { return nil }
    let address = h.bugCheckParameters[index]
    guard let module = dump.module(containing: address) else { return nil }
    return Frame(
      image: module.name, moduleOffset: address &- module.base, function: nil,
      functionOffset: nil, trust: "faulting-ip", instruction: address)
  }

  /// For each bug-check parameter, the loaded driver and offset its value points into (nil when
  /// none does): what rules naming a culprit parameter blame. For 0x9F with Arg1 = 3, Arg2's
  /// frame is the module of the PDO's driver, qualified by the driver attached above the PDO
  /// (`BlockedIRP`), as WinDbg buckets it.
  public static func parameterFrames(of dump: KernelDump) -> [Frame?] {
    var frames = dump.header.bugCheckParameters.map { address in
      dump.module(containing: address).map {
        Frame(
          image: $0.name, moduleOffset: address &- $0.base, function: nil, functionOffset: nil,
          trust: "bugcheck-parameter", instruction: address)
      }
    }
    if frames.count >= 4, case .found(let blocked) = BlockedIRP.read(from: dump) {
      var frame = Frame(
        image: blocked.module.name, moduleOffset: 0, function: nil, functionOffset: nil,
        trust: "pdo-driver", instruction: blocked.module.base)
      frame.qualifier = blocked.upperDriver
      frames[1] = frame
    }
    return frames
  }

  /// The frames of a walked stack as the bucketer reads them.
  public static func frames(_ stack: ThreadStack) -> [Frame] {
    stack.frames.map {
      Frame(
        image: $0.location.module, moduleOffset: $0.location.moduleOffset,
        function: $0.location.function, functionOffset: $0.location.functionOffset,
        trust: $0.trust.rawValue, instruction: $0.instruction, stackPointer: $0.stackPointer)
    }
  }
}

extension CrashBucket {
  /// Fills PROCESS_NAME and the blamed image's timestamp and version from a minidump.
  public mutating func describe(from dump: Minidump) {
    let modules = ((try? dump.modules()) ?? nil) ?? []
    if let image = modules.first(where: { $0.baseName.lowercased() == imageName.lowercased() }) {
      imageTimestamp = "0x" + String(image.timeDateStamp, radix: 16)
      imageVersion = image.versionInfo.fileVersion
    }
    processName = modules.first?.baseName
  }

  /// Fills PROCESS_NAME and the blamed driver's timestamp from a kernel dump.
  public mutating func describe(from dump: KernelDump) {
    if let driver = dump.modules.first(where: { $0.name.lowercased() == imageName.lowercased() }) {
      imageTimestamp = "0x" + String(driver.timeDateStamp, radix: 16)
    }
    processName = dump.processName
  }
}
