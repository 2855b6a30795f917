import ArgumentParser
import ByteReader
import Foundation
import Symbols

/// `crashsift symbols lookup`: RVAs of one module to function+offset and file:line, from the
/// module's PDB or .sym found by debug id.
struct SymbolsLookupCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lookup",
    abstract: "Name RVAs of one module: function+offset and file:line.",
    discussion: """
      Finds the module's symbols by debug file name and debug id (GUID + age, as in `lm` and \
      minidump CodeView records) and prints one line per RVA: the RVA, `function+0xoffset` (or \
      `??`) and `file:line` when the symbols have lines, then one `inlined` line per function inlined \
      there (innermost first). Public-only names are marked (public).

      Examples:
        crashsift symbols lookup --store ./store tiny64.pdb 080EE95D32E0099C4C4C44205044422E1 0x1000
        crashsift symbols lookup --store 'srv*/mnt/symbols' --json ntkrnlmp.pdb 3844DBB9...1 0x3f2e10
      """)

  @Option(
    name: .long,
    help:
      "Symbol path (_NT_SYMBOL_PATH syntax: stores, .sym folders, plain folders; default: $_NT_SYMBOL_PATH)."
  )
  var store: String?

  @Flag(name: .long, help: "Print a JSON document (crashsift.symbols-lookup, docs/schema).")
  var json = false

  @Flag(name: .long, help: "Never ask symbol servers named in the path.")
  var offline = false

  @Argument(help: "The module's debug file name (e.g. ntkrnlmp.pdb).")
  var debugFile: String

  @Argument(help: "The debug id: 32 hex digits of GUID then the age in hex.")
  var debugID: String

  @Argument(help: "RVAs, hex (0x1000 or 1000).")
  var rvas: [String]

  /// `--json`'s document (docs/schema/symbols-lookup.schema.json): the module asked about and
  /// one answer per RVA, in the order given.
  struct Document: Encodable {
    var debugFile: String
    var debugID: String
    var answers: [Answer]
  }

  /// One answer, as printed by `--json`.
  struct Answer: Encodable {
    var rva: String
    var function: String?
    var offset: String?
    var isPublic: Bool
    var file: String?
    var line: UInt32?
    /// Inlined frames at the RVA, innermost first.
    var inlines: [Inlined] = []
  }

  struct Inlined: Encodable {
    var function: String
    var file: String?
    var line: UInt32
  }

  func validate() throws {
    for rva in rvas where Self.parse(rva) == nil {
      throw ValidationError("\(rva) is not a hex RVA below 4 GiB (write 0x1a2b or 1a2b)")
    }
  }

  func run() throws {
    guard let pathText = store ?? ProcessInfo.processInfo.environment["_NT_SYMBOL_PATH"] else {
      throw ValidationError("give --store PATH or set _NT_SYMBOL_PATH")
    }
    let path = SymbolPath(parsing: pathText, defaultCache: SymbolPath.userCache)
    let client = try SymbolAccess.client(for: path, offline: offline)
    let table: SymbolTable
    switch path.table(debugFile: debugFile, debugID: debugID, client: client) {
    case .success(let found): table = found
    case .failure(let error):
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(1)
    }
    var answers: [Answer] = []
    for text in rvas {
      guard let rva = Self.parse(text) else { continue }
      var answer = Answer(rva: "0x" + String(rva, radix: 16), isPublic: false)
      if let hit = table.lookup(rva) {
        answer.function = hit.name
        answer.offset = "0x" + String(rva - hit.symbolRVA, radix: 16)
        answer.isPublic = hit.isPublic
        answer.file = hit.file
        answer.line = hit.line
        answer.inlines = hit.inlines.map {
          Inlined(function: $0.name, file: $0.file, line: $0.line)
        }
      }
      answers.append(answer)
    }
    if json {
      let document = Document(debugFile: debugFile, debugID: debugID, answers: answers)
      print(
        try JSONOutput.text(
          document, schema: .symbolsLookup, versions: .current(), snakeCase: true))
      return
    }
    for answer in answers {
      guard let function = answer.function, let offset = answer.offset else {
        print("\(answer.rva)\t??")
        continue
      }
      var line = "\(answer.rva)\t\(function)+\(offset)"
      if answer.isPublic { line += " (public)" }
      if let file = answer.file, let number = answer.line { line += "\t\(file):\(number)" }
      print(line)
      // Inlined frames under their function, innermost first, as WinDbg's stack lists them.
      for frame in answer.inlines {
        print("\t  inlined \(frame.function)\t\(frame.file ?? "??"):\(frame.line)")
      }
    }
  }

  static func parse(_ text: String) -> UInt32? {
    let digits = text.lowercased().hasPrefix("0x") ? text.dropFirst(2) : Substring(text)
    return UInt32(digits, radix: 16)
  }
}
