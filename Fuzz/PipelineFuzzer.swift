import ByteReader
import Foundation
import KernelDump
import Minidump
import Symbols

// libFuzzer entry point for one dump's whole way through the per-dump stages, built by
// scripts/fuzz.sh with the Analysis sources (one module) over the format, Symbols and Unwind
// libraries, real MD5 (Fuzz/Support) and the system libarchive. The kind is sniffed as ingest
// does; then what the parse, symbolize and bucket stages compute, down to the Int64 values of their
// rows (Pipeline itself needs GRDB, so those conversions are repeated here, and a change there
// must be mirrored): a trap anywhere on a hostile dump's way through a night is a finding.
// Symbols come from a copy of samples/store (`CRASHSIFT_FUZZ_STORE`, set by the script).

/// The symbol cache of the run, made again every `PipelineFuzz.cacheInputs` inputs: misses are
/// cached per module identity, and fuzzed identities would grow it without bound.
nonisolated(unsafe) private var fuzzSymbols: SymbolTableCache?
nonisolated(unsafe) private var fuzzInputs = 0

enum PipelineFuzz {
  static let cacheInputs = 2000
  static let rules = BucketRules.defaults
  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  /// One frame as `symbolized_frames` stores it, read back by the bucket stage.
  struct StoredFrame {
    var module: String?
    var moduleOffset: Int64?
    var function: String?
    var functionOffset: Int64?
    var trust: String?
    var file: String?
    var line: Int64?
    var address: Int64
  }

  static func symbols() -> SymbolTableCache? {
    fuzzInputs += 1
    if fuzzSymbols == nil || fuzzInputs % cacheInputs == 0 {
      guard let store = ProcessInfo.processInfo.environment["CRASHSIFT_FUZZ_STORE"] else {
        return nil
      }
      fuzzSymbols = SymbolTableCache(path: SymbolPath(parsing: "srv*\(store)"))
    }
    return fuzzSymbols
  }

  static func json<T: Encodable>(_ value: T) -> String {
    String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
  }

  /// The symbolize stage's rows of one frame (`SymbolizeStage.row`).
  static func stored(_ frame: ThreadStack.Frame) -> StoredFrame {
    let location = frame.location
    _ = location.inlines.isEmpty ? nil : json(location.inlines)
    _ = location.missingSymbols
    _ = Int64(bitPattern: frame.stackPointer)
    _ = location.lineOffset.map { Int64(bitPattern: $0) }
    return StoredFrame(
      module: location.module, moduleOffset: location.moduleOffset.map { Int64(bitPattern: $0) },
      function: location.function,
      functionOffset: location.functionOffset.map { Int64(bitPattern: $0) },
      trust: frame.trust.rawValue, file: location.file, line: location.line.map { Int64($0) },
      address: Int64(bitPattern: frame.instruction))
  }

  /// The `stack_walks` row and the frames' rows of a walked stack.
  static func stored(_ stack: ThreadStack) -> [StoredFrame] {
    _ = stack.threadID.map { Int64($0) }
    _ = stack.missingSymbols.isEmpty ? nil : json(stack.missingSymbols)
    _ = (stack.stopReason, stack.truncated, stack.frames.first?.location.awaitsSymbols)
    _ = stack.text(x64: stack.is64Bit)
    return stack.frames.map(stored)
  }

  /// The bucket stage: frames as read back from `symbolized_frames`, then the bucket's row.
  static func bucket(_ crash: Bucketer.Crash, _ frames: [StoredFrame], reason: String?)
    -> CrashBucket
  {
    let bucketFrames = frames.map {
      Bucketer.Frame(
        image: $0.module, moduleOffset: $0.moduleOffset.map { UInt64(bitPattern: $0) },
        function: $0.function, functionOffset: $0.functionOffset.map { UInt64(bitPattern: $0) },
        trust: $0.trust ?? "context")
    }
    var bucket = Bucketer.bucket(crash, frames: bucketFrames, rules: rules)
    precondition(
      bucket.failureIDHash
        == FailureIDHash.of(bucket.failureBucketID, kernelMode: bucket.mode == "km"))
    if bucket.mode == "um", let lists = SocorroLists.defaults {
      let socorro = frames.map {
        SocorroSignature.Frame(
          function: $0.function, module: $0.module, file: $0.file, line: $0.line.map { Int($0) },
          offset: "0x" + String(UInt64(bitPattern: $0.address), radix: 16))
      }
      let data = SocorroSignature.CrashData(os: "Windows NT", reason: reason, frames: socorro)
      bucket.socorroSignature = SocorroSignature.generate(data, lists: lists).signature
    }
    _ = json(bucket.skipped)
    _ = bucket.followupFrame.map { Int64($0) }
    return bucket
  }

  static func minidump(_ file: MappedFile) {
    guard let dump = try? Minidump(file: file) else { return }
    // Parse stage.
    let report = MinidumpReport(dump, name: "fuzz")
    let exception = try? dump.exception()
    let crash = try? dump.crashReason()
    let modules = (try? dump.modules()) ?? []
    _ = report.errors.isEmpty ? nil : json(report.errors)
    _ = (report.system?.cpu, report.system?.os, report.system?.osVersion, report.timestamp)
    _ = report.processID.map { Int64($0) }
    _ = exception.map { Int64($0.code) }
    _ = crash.map { Int64(bitPattern: $0.address) }
    _ = exception.map { Int64($0.threadID) }
    _ = (exception?.context?.instructionPointer).map { Int64(bitPattern: $0) }
    _ = (report.threads.count, modules.count)
    for module in modules {
      _ = (Int64(bitPattern: module.baseOfImage), Int64(module.sizeOfImage), module.name)
      _ = (module.versionInfo.fileVersion, module.codeIdentifier, module.debugFile)
      _ = module.codeView?.debugIdentifier
    }
    // Symbolize stage (with two of the other threads, as `all_threads` walks them).
    let symbols = symbols()
    var frames: [StoredFrame] = []
    if let stack = ThreadStack.crashingThread(of: dump, symbols: symbols) {
      frames = stored(stack)
    }
    let crashing = (try? dump.exception())??.threadID
    for thread in ((try? dump.threads()) ?? nil)?.prefix(3) ?? [] {
      guard thread.threadID != crashing, let context = thread.context else { continue }
      _ = stored(
        ThreadStack.walk(
          dump, context: context, thread: thread, threadID: thread.threadID, symbols: symbols))
    }
    // Bucket stage.
    guard let what = Bucketer.crash(of: dump) else { return }
    var bucket = bucket(what, frames, reason: crash?.reason)
    bucket.describe(from: dump)
    _ = bucket.text
  }

  static func kernel(_ file: MappedFile) {
    guard let dump = try? KernelDump(file: file) else { return }
    // Parse stage.
    let symbols = symbols()
    let report = KernelDumpReport(dump, name: "fuzz", symbols: symbols)
    _ = report.text
    let h = dump.header
    let faultIP = BugCheckTable.faultingIPParameter(for: h.bugCheckCode).map {
      h.bugCheckParameters[$0]
    }
    let faultModule = faultIP.flatMap { dump.module(containing: $0) }
    _ = dump.problems.isEmpty ? nil : json(dump.problems)
    _ = (h.machineName, report.debugSessionTime, Int64(h.bugCheckCode))
    _ = BugCheckTable.name(for: h.bugCheckCode)
    _ = faultIP.map { Int64(bitPattern: $0) }
    _ = dump.context?.instructionPointer.map { Int64(bitPattern: $0) }
    _ = (Int64(h.dumpType.rawValue), Int64(h.minorVersion))
    _ = h.bugCheckParameters.map { Int64(bitPattern: $0) }
    _ = faultIP.flatMap { ip in faultModule.map { Int64(ip - $0.base) } }
    _ = (faultModule?.name, dump.processName, dump.kernelBase.map { Int64(bitPattern: $0) })
    for module in dump.modules {
      _ = (Int64(bitPattern: module.base), Int64(module.size), module.name, module.codeIdentifier)
    }
    // Symbolize stage: the walked stack, else the faulting IP alone.
    var frames: [StoredFrame] = []
    if let stack = ThreadStack.crashingThread(of: dump, symbols: symbols), !stack.frames.isEmpty {
      frames = stored(stack)
    } else if let parameter = BugCheckTable.faultingIPParameter(for: h.bugCheckCode),
      parameter < h.bugCheckParameters.count
    {
      let ip = h.bugCheckParameters[parameter]
      var location = CrashLocation(missingSymbols: "no driver contains the address")
      if let module = dump.module(containing: ip) {
        location = CrashLocation(module: module.name, moduleOffset: ip - module.base)
        if case .success(let table) = symbols?.table(
          imageName: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
        {
          location.name(with: table, offset: ip - module.base)
        }
      }
      let frame = ThreadStack.Frame(
        index: 0, instruction: ip, stackPointer: 0, returnAddress: nil, trust: .context,
        location: location, registers: nil)
      frames = [stored(frame)]
    }
    // Bucket stage.
    var bucket = bucket(Bucketer.crash(of: dump), frames, reason: nil)
    bucket.describe(from: dump)
    _ = bucket.text
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func pipelineFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  let head = file.bytes.prefix(8)
  if head.starts(with: "MDMP".utf8) {
    PipelineFuzz.minidump(file)
  } else if head.starts(with: "PAGEDU64".utf8) || head.starts(with: "PAGEDUMP".utf8) {
    PipelineFuzz.kernel(file)
  }
  return 0
}
