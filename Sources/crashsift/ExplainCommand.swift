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

      Examples:
        crashsift explain --symbols 'srv*/srv/symbols' MEMORY.DMP
        crashsift explain --rules my-rules.json --json crash.dmp
      """)

  @Argument(help: "The dump.")
  var file: String

  @Option(name: .long, help: "Symbol path (_NT_SYMBOL_PATH syntax; default $_NT_SYMBOL_PATH).")
  var symbols: String?

  @Option(name: .long, help: "Bucketing rules file (default: the built-in rules).")
  var rules: String?

  @Option(
    name: .long,
    help: "Also compute the Socorro-compatible signature: --signature socorro (siggen's algorithm)."
  )
  var signature: SignatureKind?

  @Flag(name: .long, help: "Print the bucket as JSON.")
  var json = false

  func run() throws {
    let rulesInUse: BucketRules
    do {
      rulesInUse = try rules.map { try BucketRules.load(path: $0) } ?? .defaults
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    }
    let symbolPath = (symbols ?? ProcessInfo.processInfo.environment["_NT_SYMBOL_PATH"]).map {
      SymbolTableCache(path: SymbolPath(parsing: $0, defaultCache: SymbolPath.userCache))
    }
    let stack: ThreadStack?
    let crash: Bucketer.Crash?
    var reason: String?
    var describe: (inout CrashBucket) -> Void = { _ in }
    do {
      let mapped = try MappedFile(path: file)
      if mapped.bytes.starts(with: Array("PAGE".utf8)) {
        let dump = try KernelDump(file: mapped)
        (stack, crash) = (
          ThreadStack.crashingThread(of: dump, symbols: symbolPath), Bucketer.crash(of: dump)
        )
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
    var bucket = Bucketer.bucket(crash, frames: stack.map(Bucketer.frames) ?? [], rules: rulesInUse)
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
}
