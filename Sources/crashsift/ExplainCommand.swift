import Analysis
import ArgumentParser
import ByteReader
import Foundation
import Interface
import KernelDump
import Minidump
import Symbols

/// `crashsift explain DUMP`: why the bucket blames the frame it blames.
struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Show the crashing stack and why the bucket blames the frame it blames.",
    discussion: """
      Walks the crashing thread, then lists every frame the followup search skipped with the \
      rule that skipped it (rules: --rules, default the built-in ones, as \
      pipelines/rules/bucketing.json), the blamed frame and how it was found, and the bucket \
      fields: SYMBOL_NAME, MODULE_NAME, IMAGE_NAME, BUCKET_ID_FUNC_OFFSET, FAILURE_BUCKET_ID, \
      FAILURE_ID_HASH.

      With --windbg, reads a saved WinDbg log instead of a dump: the output of `!analyze -v`, \
      or a `kv`/`kn`/`kb` listing with the bug check (`BugCheck 7E, {…}` or BUGCHECK_CODE and \
      BUGCHECK_P1–P4). Its STACK_TEXT (with `(TrapFrame @ …)` annotations and the TRAP_FRAME or \
      CONTEXT it was taken after) is bucketed with the rules, so old analyses land in the same \
      buckets as the pipeline's; WinDbg's own SYMBOL_NAME and FAILURE_BUCKET_ID are shown \
      beside crashsift's.

      Examples:
        crashsift explain --symbols 'srv*/srv/symbols' MEMORY.DMP
        crashsift explain --rules my-rules.json --json crash.dmp
        crashsift explain --windbg saved-analyze.txt
      """)

  @Argument(help: "The dump (not with --windbg).")
  var file: String?

  @Option(
    name: .long,
    help: "Bucket a saved WinDbg `!analyze -v` or `kv` log instead of a dump.")
  var windbg: String?

  @Option(name: .long, help: "Symbol path (_NT_SYMBOL_PATH syntax; default $_NT_SYMBOL_PATH).")
  var symbols: String?

  @Flag(name: .long, help: "Never ask symbol servers; their modules are reported as missing.")
  var offline = false

  @Option(name: .long, help: "Bucketing rules file (default: the built-in rules).")
  var rules: String?

  @Option(
    name: .long,
    help: "Also compute the Socorro-compatible signature: --signature socorro (siggen's algorithm)."
  )
  var signature: SignatureKind?

  @Flag(name: .long, help: "Print the bucket as JSON.")
  var json = false

  func validate() throws {
    if (file == nil) == (windbg == nil) {
      throw ValidationError("give either a dump or --windbg LOG")
    }
    if windbg != nil, symbols != nil || signature != nil {
      throw ValidationError("--symbols and --signature apply to dumps, not to --windbg logs")
    }
  }

  func run() throws {
    let rulesInUse: BucketRules
    do {
      rulesInUse = try rules.map { try BucketRules.load(path: $0) } ?? .defaults
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    }
    if let windbg {
      try explainLog(windbg, rules: rulesInUse)
      return
    }
    guard let file else { throw ExitCode(2) }
    let symbolPath = try SymbolAccess.cache(symbols, offline: offline)
    let stack: ThreadStack?
    let crash: Bucketer.Crash?
    var reason: String?
    var describe: (inout CrashBucket) -> Void = { _ in }
    var faulting: Bucketer.Frame?
    var parameterFrames: [Bucketer.Frame?] = []
    var facts: (([Bucketer.Frame]) -> [String: String]) = { _ in [:] }
    do {
      let mapped = try MappedFile(path: file)
      if mapped.bytes.starts(with: Array("PAGE".utf8)) {
        let dump = try KernelDump(file: mapped)
        (stack, crash) = (
          ThreadStack.crashingThread(of: dump, symbols: symbolPath), Bucketer.crash(of: dump)
        )
        faulting = Bucketer.faultingFrame(of: dump)
        parameterFrames = Bucketer.parameterFrames(of: dump)
        facts = { Bucketer.facts(of: dump, frames: $0, symbols: symbolPath) }
        describe = { $0.describe(from: dump) }
      } else {
        let dump = try Minidump(file: mapped)
        (stack, crash) = (
          ThreadStack.crashingThread(of: dump, symbols: symbolPath), Bucketer.crash(of: dump)
        )
        reason = (try? dump.crashReason())??.reason
        describe = { $0.describe(from: dump) }
      }
    } catch {
      FileHandle.standardError.write(Data("error: \(file): \(error)\n".utf8))
      throw ExitCode(1)
    }
    guard let crash else {
      FileHandle.standardError.write(
        Data("error: \(file): no exception or bug check to bucket\n".utf8))
      throw ExitCode(1)
    }
    let frames = stack.map(Bucketer.frames) ?? []
    var bucket = Bucketer.bucket(
      crash, frames: frames, rules: rulesInUse, context: stack?.faultContext,
      faultingFrame: faulting, parameterFrames: parameterFrames, facts: facts(frames))
    if signature == .socorro, let stack {
      bucket.socorroSignature = SignatureKind.socorro(stack, reason: reason)
    }
    describe(&bucket)
    if json {
      print(
        try JSONOutput.text(
          bucket, schema: .explain, versions: .current(rules: rulesInUse), snakeCase: true))
      return
    }
    if let stack { print(stack.text(x64: stack.is64Bit) + "\n") }
    print(bucket.text)
  }

  /// `--windbg LOG`: the log's stack bucketed with `rules`, next to what WinDbg printed.
  func explainLog(_ path: String, rules: BucketRules) throws {
    let log: WindbgLog
    do {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw WindbgLogError("cannot read the file")
      }
      log = try WindbgLog(text: String(decoding: data, as: UTF8.self))
    } catch {
      FileHandle.standardError.write(Data("error: \(path): \(error)\n".utf8))
      throw ExitCode(1)
    }
    var bucket = Bucketer.bucket(
      Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: rules,
      context: Bucketer.context(of: log), faultingFrame: Bucketer.faultingFrame(log),
      facts: Bucketer.facts(log))
    bucket.processName = log.processName
    if json {
      print(
        try JSONOutput.text(
          bucket, schema: .explain, versions: .current(rules: rules), snakeCase: true))
      return
    }
    for (index, frame) in log.frames.enumerated() {
      let trap = frame.trapFrame.map { "  (TrapFrame @ 0x" + String($0, radix: 16) + ")" } ?? ""
      print(String(format: "%02x ", index) + frame.callSite + trap)
    }
    print("")
    print(bucket.text)
    let windbgFields = ["SYMBOL_NAME", "MODULE_NAME", "FAILURE_BUCKET_ID", "FAILURE_ID_HASH"]
    let shown = windbgFields.compactMap { key in log.printed[key].map { "  \(key):  \($0)" } }
    if !shown.isEmpty {
      print("\nWinDbg printed:\n" + shown.joined(separator: "\n"))
    }
  }
}
