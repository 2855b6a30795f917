import Analysis
import ArgumentParser
import ByteReader
import Foundation
import Interface
import KernelDump
import Minidump
import Symbols

/// `crashsift analyze FILE…`: one dump at a time, no workspace.
struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract: "Show what a dump holds: system, crash reason and address, threads, modules.",
    discussion: """
      Reads the file directly (no workspace, no manifest). User-mode minidumps (MDMP): system, \
      crash reason and address, threads, modules, annotations. Kernel dumps (PAGEDU64, and \
      32-bit PAGEDUMP; triage, full, bitmap and RDMP): WinDbg's banner, the bug check with its \
      name and parameters, the faulting module, the driver list (a triage dump's own list; for \
      full, bitmap and RDMP dumps the loaded-module list read through their physical memory, \
      except 32-bit RDMP dumps, reported as unsupported). Then the crashing thread's stack \
      (STACK_TEXT, with how each frame was found) and the !analyze -v bucket (FAILURE_BUCKET_ID, \
      FAILURE_ID_HASH). With --json, each object carries "schema" (docs/schema/) and the \
      "crashsift" versions.

      --processes, --threads and --process X list a kernel or full memory dump's processes \
      (and threads) instead, in the layout of WinDbg's !process; a triage dump says it holds \
      only the crashing process and thread.

      Examples:
        crashsift analyze crash.dmp
        crashsift analyze --processes MEMORY.DMP
        crashsift analyze --process lsass.exe MEMORY.DMP   # or its address, or a PID
        crashsift analyze --json out/dumps/ab/ab12….dmp | jq .crash
        crashsift analyze --symbols ./symbols crash.dmp   # .sym folder or symbol store
        crashsift analyze --symbols 'cache*/srv/cache;srv*/mnt/symbols' crash.dmp
      """)

  @Argument(help: "Dump files to analyze.")
  var files: [String]

  @Flag(name: .long, help: "Print JSON (one object per file, in an array).")
  var json = false

  @Option(
    name: .long,
    help: """
      Where symbols are, in _NT_SYMBOL_PATH syntax (default: $_NT_SYMBOL_PATH): Breakpad folders \
      (<pdb>/<DEBUGID>/<name>.sym), Microsoft symbol stores (<pdb>/<DEBUGID>/<pdb>, .pd_, file.ptr, \
      index2.txt), plain folders, symbol servers (srv*CACHE*https://…); entries joined with ';'.
      """)
  var symbols: String?

  @Flag(name: .long, help: "Never ask symbol servers; their modules are reported as missing.")
  var offline = false

  @Option(
    name: .long,
    help: "Bucketing rules file (default: the built-in rules, as pipelines/rules/bucketing.json).")
  var rules: String?

  @Option(
    name: .long,
    help: "Also compute the Socorro-compatible signature: --signature socorro (siggen's algorithm)."
  )
  var signature: SignatureKind?

  @Flag(
    name: .long,
    help: """
      List every process instead of analyzing the crash (kernel and full memory dumps; WinDbg's \
      !process 0 0).
      """)
  var processes = false

  @Option(
    name: .long,
    help: """
      Show one process and its threads with their kernel stacks (WinDbg's !process ADDR 7): its \
      EPROCESS address, its process id (decimal, or 0x-hex) or its image name.
      """)
  var process: String?

  @Flag(
    name: .long,
    help: "List every process with its threads and their kernel stacks (WinDbg's !process 0 7).")
  var threads = false

  func run() throws {
    if processes || threads || process != nil {
      try listProcesses()
      return
    }
    var rulesInUse = BucketRules.defaults
    if let rules {
      do {
        rulesInUse = try BucketRules.load(path: rules)
      } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
      }
    }
    try analyze(rules: rulesInUse)
  }

  func analyze(rules rulesInUse: BucketRules) throws {
    var reports: [String] = []
    var failed = false
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    // No --symbols: WinDbg's own variable, so a machine set up for WinDbg works as is.
    let symbolPath = try SymbolAccess.cache(symbols, offline: offline)
    for path in files {
      do {
        let file = try MappedFile(path: path)
        let text: String
        let json: Data
        var stack: ThreadStack?
        var crash: Bucketer.Crash?
        var reason: String?
        var describe: (inout CrashBucket) -> Void = { _ in }
        var faulting: Bucketer.Frame?
        var parameterFrames: [Bucketer.Frame?] = []
        var facts: (([Bucketer.Frame]) -> [String: String]) = { _ in [:] }
        var schema = SchemaID.analyzeMinidump
        if file.bytes.starts(with: Array("PAGE".utf8)) {
          schema = .analyzeKernel
          let dump = try KernelDump(file: file)
          let report = KernelDumpReport(dump, name: path, symbols: symbolPath)
          (text, json) = (report.text + Self.blockedIRPText(dump), try encoder.encode(report))
          stack = ThreadStack.crashingThread(of: dump, symbols: symbolPath)
          crash = Bucketer.crash(of: dump)
          faulting = Bucketer.faultingFrame(of: dump)
          parameterFrames = Bucketer.parameterFrames(of: dump)
          facts = { Bucketer.facts(of: dump, frames: $0, symbols: symbolPath) }
          describe = { $0.describe(from: dump) }
        } else {
          let dump = try Minidump(file: file)
          var report = MinidumpReport(dump, name: path)
          if let ip = (try? dump.exception())??.context?.instructionPointer {
            let location = CrashLocation.locate(
              ip, in: (try? dump.modules()) ?? [],
              symbols: symbolPath)
            report.crashLocation =
              location.text + (location.missingSymbols.map { " (\($0))" } ?? "")
          }
          (text, json) = (report.text, try encoder.encode(report))
          stack = ThreadStack.crashingThread(of: dump, symbols: symbolPath)
          crash = Bucketer.crash(of: dump)
          reason = (try? dump.crashReason())??.reason
          describe = { $0.describe(from: dump) }
        }
        let frames = stack.map(Bucketer.frames) ?? []
        var bucket = crash.map {
          Bucketer.bucket(
            $0, frames: frames, rules: rulesInUse, context: stack?.faultContext,
            faultingFrame: faulting, parameterFrames: parameterFrames, facts: facts(frames))
        }
        if signature == .socorro, let stack {
          bucket?.socorroSignature = SignatureKind.socorro(stack, reason: reason)
        }
        if var described = bucket {
          describe(&described)
          bucket = described
        }
        let (fullText, fullJSON) = try Self.adding(
          stack, bucket: bucket, text: text, json: json, encoder: encoder)
        if self.json {
          let stamped = try JSONOutput.stamp(
            fullJSON, schema: schema, versions: .current(rules: rulesInUse))
          reports.append(String(decoding: stamped, as: UTF8.self))
        } else {
          print(fullText)
          if path != files.last { print("") }
        }
      } catch {
        failed = true
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      }
    }
    if json {
      print("[\n" + reports.joined(separator: ",\n") + "\n]")
    }
    if failed { throw ExitCode(1) }
  }

  /// `--processes`, `--process X`, `--threads`: the process list of each kernel dump. Exit 1 when a
  /// file cannot be read, is not a kernel dump, or `--process` matches nothing in it.
  func listProcesses() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    var documents: [String] = []
    var failed = false
    let symbolPath = try SymbolAccess.cache(symbols, offline: offline)
    for path in files {
      do {
        let file = try MappedFile(path: path)
        guard file.bytes.starts(with: Array("PAGE".utf8)) else {
          throw ParseError(
            "process list",
            file.bytes.starts(with: Array("MDMP".utf8))
              ? "\(path) is a user-mode minidump: its threads are in `crashsift analyze` itself; --processes reads kernel dumps"
              : "\(path) is not a kernel dump (PAGEDU64/PAGEDUMP); --processes reads kernel and full memory dumps"
          )
        }
        let dump = try KernelDump(file: file)
        let listing = ProcessListing(
          dump, name: path, select: process, threads: threads || process != nil, stacks: true,
          symbols: symbolPath)
        if listing.unmatched != nil { failed = true }
        if json {
          let stamped = try JSONOutput.stamp(
            try encoder.encode(listing), schema: .processes, versions: .current())
          documents.append(String(decoding: stamped, as: UTF8.self))
        } else {
          if files.count > 1 { print("\(path):") }
          print(listing.text, terminator: "")
          if path != files.last { print("") }
        }
      } catch {
        failed = true
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      }
    }
    if json {
      print("[\n" + documents.joined(separator: ",\n") + "\n]")
    }
    if failed { throw ExitCode(1) }
  }

  /// 0x9F Arg1 = 3: the PDO's driver, the driver above it that qualifies the bucket, and where
  /// the IRP is pending, as `!devstack`/`!irp` would show them, or why they cannot be told (text
  /// only).
  static func blockedIRPText(_ dump: KernelDump) -> String {
    let hex = { (value: UInt64) in String(value, radix: 16) }
    // Names come from dump memory: control characters must not forge output lines.
    let printable = { (text: String?) -> String in
      String(
        String.UnicodeScalarView(
          (text ?? "?").unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }
    switch BlockedIRP.read(from: dump) {
    case .notApplicable: return ""
    case .unreadable(let why): return "\nBLOCKED_IRP: not read: \(printable(why))"
    case .found(let blocked):
      var line =
        "\nBLOCKED_IRP: \(hex(blocked.irp))  PDO: \(hex(blocked.pdo)) \(printable(blocked.driverName)) (\(printable(blocked.module.name)))"
      if let upper = blocked.upperDriver { line += "  attached above it: \(upper)" }
      if let device = blocked.holderDevice {
        line +=
          "\n  pending at the stack location of \(hex(device)) \(printable(blocked.holderDriverName))"
      }
      return line
    }
  }

  /// The report with the crashing thread's stack appended: a `kv`-like block in text, a `stack`
  /// member in JSON.
  static func adding(
    _ stack: ThreadStack?, bucket: CrashBucket?, text: String, json: Data, encoder: JSONEncoder
  ) throws -> (String, Data) {
    guard let stack, !stack.frames.isEmpty else { return (text, json) }
    let header =
      "STACK_TEXT (crashing thread\(stack.threadID.map { " 0x" + String($0, radix: 16) } ?? "")):"
    var fullText = text + "\n\n" + header + "\n" + stack.text(x64: stack.is64Bit)
    if let bucket { fullText += "\n\n" + bucket.text }
    guard var object = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
      return (fullText, json)
    }
    object["stack"] = try JSONSerialization.jsonObject(with: encoder.encode(stack))
    if let bucket {
      object["bucket"] = try JSONSerialization.jsonObject(with: encoder.encode(bucket))
    }
    let merged = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    return (fullText, merged)
  }
}
