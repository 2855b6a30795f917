import ArgumentParser
import ByteReader
import Foundation
import GRDB
import KernelDump
import Minidump
import PEImage
import Pipeline
import Symbols
import Synchronization

/// `crashsift symbols fetch`: bring every symbol file a workspace's or some dumps' modules need
/// into the symbol path's caches before a run, or list them for a machine that has network.
struct SymbolsFetchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract: "Prefetch the PDBs, .sym files and images that dumps need from symbol servers.",
    discussion: """
      Collects the modules of a workspace (its parsed dumps), of dump files, or the store keys of \
      a --keys file, and locates each module's symbols on the symbol path: local stores first, \
      then the servers, whose downloads land in their caches (srv*CACHE*URL). A user module needs \
      its PDB (or its .sym); a kernel driver, known only by name, timestamp and size, needs its \
      image first, whose CodeView record names the PDB. Prints one line per key that is not \
      local and a summary; --json prints the whole list.

      --manifest-out writes the keys still missing (one <file>/<index>/<file> per line, like \
      symchk /om). Written with --offline on a machine without network, it is the --keys input \
      of a fetch on a machine with network, whose store is then copied back.

      Exit status: 0 when every key was found, 1 when some are not on any server, 3 when a \
      server did not answer (run again later), 2 on usage errors.

      Examples:
        crashsift symbols fetch --workspace out --symbols 'srv*/var/cache/symbols*https://msdl.microsoft.com/download/symbols'
        crashsift symbols fetch crash1.dmp MEMORY.DMP
        crashsift symbols fetch --workspace out --offline --manifest-out keys.txt
        crashsift symbols fetch --keys keys.txt --symbols 'srv*./store*https://symbols.example.com'
      """)

  @Option(name: .long, help: "A workspace whose parsed dumps' modules need symbols.")
  var workspace: String?

  @Option(name: .long, help: "A file of store keys (<file>/<index>/<file>, one per line).")
  var keys: String?

  @Option(
    name: .long,
    help: "Symbol path (_NT_SYMBOL_PATH syntax; default: $_NT_SYMBOL_PATH).")
  var symbols: String?

  @Option(name: .long, help: "Write the keys still missing to this file.")
  var manifestOut: String?

  @Flag(name: .long, help: "Ask no server: only report what is local and what is missing.")
  var offline = false

  @Option(name: [.short, .long], help: "Keys looked up at once (default: 4).")
  var jobs = 4

  @Flag(name: [.short, .long], help: "No progress output.")
  var quiet = false

  @Flag(name: .long, help: "Print a JSON document (crashsift.symbols-fetch, docs/schema).")
  var json = false

  @Argument(help: "Dump files whose modules need symbols.")
  var dumps: [String] = []

  /// A module's need: its PDB (or .sym) by debug id, or its image by timestamp and size.
  enum Need: Hashable, Comparable {
    case symbols(debugFile: String, debugID: String)
    case image(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32)

    var key: SymbolStoreKey {
      switch self {
      case .symbols(let file, let id): return .pdb(debugFile: file, debugID: id)
      case .image(let name, let stamp, let size):
        return .image(name: name, timeDateStamp: stamp, sizeOfImage: size)
      }
    }

    static func < (a: Need, b: Need) -> Bool { a.key.relativePath < b.key.relativePath }
  }

  /// One key's outcome, as printed by `--json`.
  struct Result: Encodable {
    var key: String
    /// `local`, `fetched`, `missing` or `unavailable`.
    var outcome: String
    var path: String?
    var detail: String?
  }

  struct Document: Encodable {
    var keys: [Result]
    var counts: [String: Int]
  }

  func validate() throws {
    if workspace == nil && keys == nil && dumps.isEmpty {
      throw ValidationError("give --workspace DIR, --keys FILE or dump files")
    }
    if !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64") }
  }

  func run() throws {
    guard let pathText = symbols ?? ProcessInfo.processInfo.environment["_NT_SYMBOL_PATH"] else {
      throw ValidationError("give --symbols PATH or set _NT_SYMBOL_PATH")
    }
    let path = SymbolPath(parsing: pathText, defaultCache: SymbolPath.userCache)
    let client = try SymbolAccess.client(for: path, offline: offline)
    let needs = try collect().sorted()
    let progress = ProgressReporter(
      mode: quiet || json ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines),
      stage: "fetch", total: Int64(needs.count), unit: "keys")
    let results = Mutex<[[Result]]>(Array(repeating: [], count: needs.count))
    let ticker = Ticker(progress, total: needs.count)
    // A few lookups at once: each blocks on the network, and the client bounds the requests per
    // server anyway.
    let next = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: min(jobs, max(needs.count, 1))) { _ in
      while true {
        let index = next.withLock { value -> Int in
          defer { value += 1 }
          return value
        }
        guard index < needs.count else { return }
        let outcome = Self.resolve(needs[index], path: path, client: client)
        results.withLock { $0[index] = outcome }
        ticker.tick()
      }
    }
    let flat = results.withLock { $0 }.flatMap { $0 }
    var counts: [String: Int] = ["local": 0, "fetched": 0, "missing": 0, "unavailable": 0]
    for result in flat { counts[result.outcome, default: 0] += 1 }
    let summary = ["local", "fetched", "missing", "unavailable"].map { name -> String in
      "\(counts[name] ?? 0) \(name)"
    }.joined(separator: ", ")
    progress.finish(detail: summary)
    if let manifestOut {
      let lines = flat.filter { $0.outcome == "missing" || $0.outcome == "unavailable" }.map(\.key)
      do {
        try Data((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8).write(
          to: URL(fileURLWithPath: manifestOut))
      } catch {
        throw ValidationError("cannot write \(manifestOut): \(error.localizedDescription)")
      }
    }
    if json {
      print(
        try JSONOutput.text(
          Document(keys: flat, counts: counts), schema: .symbolsFetch, versions: .current(),
          snakeCase: true))
    } else {
      for result in flat where result.outcome != "local" {
        print("\(result.outcome)\t\(result.key)\t\(result.path ?? Self.brief(result.detail))")
      }
      print("\(flat.count) keys: \(summary)")
    }
    if (counts["unavailable"] ?? 0) > 0 { throw ExitCode(3) }
    if (counts["missing"] ?? 0) > 0 { throw ExitCode(1) }
  }

  /// A reason without the key it repeats and the list of URLs tried (kept for `--json`).
  static func brief(_ detail: String?) -> String {
    guard var text = detail else { return "" }
    if let colon = text.range(of: ": ") { text = String(text[colon.upperBound...]) }
    if text.hasPrefix("not on "), let list = text.range(of: ": http") {
      return String(text[..<list.lowerBound])
    }
    return text
  }

  /// The keys one need leads to: a PDB, else its .sym; an image, then the PDB it names.
  static func resolve(_ need: Need, path: SymbolPath, client: (any SymbolServerClient)?)
    -> [Result]
  {
    func result(_ key: SymbolStoreKey, _ located: SymbolPath.Located) -> Result {
      switch located {
      case .local(let file): return Result(key: key.relativePath, outcome: "local", path: file)
      case .fetched(let file): return Result(key: key.relativePath, outcome: "fetched", path: file)
      case .missing(let why):
        return Result(key: key.relativePath, outcome: "missing", detail: why)
      case .unavailable(let why):
        return Result(key: key.relativePath, outcome: "unavailable", detail: why)
      }
    }
    switch need {
    case .symbols(let file, let id):
      let pdb = SymbolStoreKey.pdb(debugFile: file, debugID: id)
      let first = path.locate(pdb, client: client)
      switch first {
      case .local, .fetched: return [result(pdb, first)]
      case .missing, .unavailable:
        let sym = SymbolStoreKey.breakpad(debugFile: file, debugID: id)
        let second = path.locate(sym, client: client)
        switch second {
        case .local, .fetched: return [result(sym, second)]
        default: return [result(pdb, first)]
        }
      }
    case .image:
      let key = need.key
      let located = path.locate(key, client: client)
      var results = [result(key, located)]
      switch located {
      case .local(let file), .fetched(let file):
        if let record = try? PEImage(path: file).codeView(), let id = record.debugIdentifier,
          let pdb = record.pdbFileName
        {
          results += resolve(
            .symbols(debugFile: BreakpadSymbolWriter.baseName(pdb), debugID: id), path: path,
            client: client)
        }
      default: break
      }
      return results
    }
  }

  /// The needs of the workspace, the dumps and the keys file, each once.
  func collect() throws -> Set<Need> {
    var needs: Set<Need> = []
    if let workspace {
      let database = "\(workspace)/crashsift.sqlite"
      guard FileManager.default.fileExists(atPath: database) else {
        throw ValidationError(
          "\(workspace) is not a workspace (no crashsift.sqlite); run parse first")
      }
      let queue = try DatabaseQueue(path: database, configuration: Self.readOnly)
      try queue.read { db in
        let rows = try Row.fetchAll(
          db, sql: "SELECT DISTINCT name, code_id, debug_file, debug_id FROM dump_modules")
        for row in rows {
          let name: String = row["name"]
          let code: String = row["code_id"]
          if let need = Self.need(
            name: name, codeID: code, debugFile: row["debug_file"], debugID: row["debug_id"])
          {
            needs.insert(need)
          }
        }
      }
    }
    for dump in dumps {
      do {
        let file = try MappedFile(path: dump)
        if file.bytes.starts(with: Array("PAGE".utf8)) {
          for module in try KernelDump(file: file).modules {
            needs.insert(
              .image(
                name: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size))
          }
        } else {
          for module in try Minidump(file: file).modules() ?? [] {
            if let need = Self.need(
              name: module.baseName, codeID: module.codeIdentifier,
              debugFile: module.debugFile.map(BreakpadSymbolWriter.baseName),
              debugID: module.codeView?.debugIdentifier)
            {
              needs.insert(need)
            }
          }
        }
      } catch {
        throw ValidationError("\(dump): \(error)")
      }
    }
    if let keys {
      guard let text = try? String(contentsOfFile: keys, encoding: .utf8) else {
        throw ValidationError("cannot read \(keys)")
      }
      for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
        let parts = line.trimmingCharacters(in: .whitespaces).split(separator: "/")
        guard parts.count == 3 else {
          throw ValidationError("\(keys):\(number + 1): expected <file>/<index>/<file>")
        }
        let (folder, index, file) = (String(parts[0]), String(parts[1]), String(parts[2]))
        let lower = file.lowercased()
        if lower.hasSuffix(".pdb") || lower.hasSuffix(".sym") {
          needs.insert(.symbols(debugFile: folder, debugID: index))
        } else if let need = Self.need(name: folder, codeID: index, debugFile: nil, debugID: nil) {
          needs.insert(need)
        } else {
          throw ValidationError("\(keys):\(number + 1): \(index) is not TIMESTAMP+size")
        }
      }
    }
    return needs
  }

  /// A module's PDB when its CodeView record names one, else its image by code id.
  static func need(name: String, codeID: String, debugFile: String?, debugID: String?) -> Need? {
    if let debugFile, let debugID, !debugFile.isEmpty, !debugID.isEmpty {
      return .symbols(debugFile: BreakpadSymbolWriter.baseName(debugFile), debugID: debugID)
    }
    guard codeID.count > 8, codeID.count <= 16, let stamp = UInt32(codeID.prefix(8), radix: 16),
      let size = UInt32(codeID.dropFirst(8), radix: 16)
    else { return nil }
    return .image(
      name: BreakpadSymbolWriter.baseName(name), timeDateStamp: stamp, sizeOfImage: size)
  }

  static var readOnly: Configuration {
    var configuration = Configuration()
    configuration.readonly = true
    return configuration
  }
}

/// Counts finished keys for the progress bar from the lookup threads; the reporter draws from
/// one thread at a time under the lock.
private final class Ticker: @unchecked Sendable {
  private let lock = NSLock()
  private let reporter: ProgressReporter
  private let total: Int
  private var done = 0

  init(_ reporter: ProgressReporter, total: Int) {
    self.reporter = reporter
    self.total = total
  }

  func tick() {
    lock.withLock {
      done += 1
      reporter.update(done: Int64(done), detail: "\(done)/\(total) keys")
    }
  }
}
