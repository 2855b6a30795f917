import ArgumentParser
import Foundation
import Symbols

/// `crashsift symbols index`: copy build outputs into a symbol store layout.
struct SymbolsIndexCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "index",
    abstract: "Lay PDBs, PE images and .sym files out as a symbol store.",
    discussion: """
      Walks the given files and folders (recursively) and copies every PDB to \
      <pdb>/<GUID><age>/<pdb>, every PE image to <image>/<TIMESTAMP><SizeOfImage>/<image> and every \
      Breakpad .sym to <pdb>/<ID>/<name>.sym under --store, as symstore.exe does. Files are \
      recognised by content; others are skipped. A key already in the store is left as it is.

      Examples:
        crashsift symbols index build/x64/Release --store /srv/symbols
        crashsift symbols index --json drivers/*.pdb drivers/*.sys --store ./store
      """)

  @Option(name: .long, help: "The store folder (created if missing).")
  var store: String

  @Flag(name: .long, help: "Print a JSON document (crashsift.symbols-index, docs/schema).")
  var json = false

  @Argument(help: "Files and folders to index.")
  var paths: [String]

  /// `--json`'s document (docs/schema/symbols-index.schema.json): the store, one entry per file
  /// seen (in walk order) and the count of each outcome.
  struct Document: Encodable {
    var store: String
    var entries: [Entry]
    var counts: Counts
  }

  struct Counts: Encodable {
    var added, present, skipped, failed: Int
  }

  /// One file seen: its outcome is `added`, `present`, `skipped` or `failed`.
  struct Entry: Encodable {
    var source: String
    var outcome: String
    var storePath: String?
    var error: String?
  }

  func run() throws {
    let indexer = SymbolStoreIndexer(store: store)
    var entries: [Entry] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        entries.append(Entry(source: path, outcome: "failed", error: "no such file or folder"))
        continue
      }
      let files: [String]
      if isDirectory.boolValue {
        let children = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String }
        files = (children ?? []).sorted().map { "\(path)/\($0)" }.filter {
          var folder: ObjCBool = false
          return FileManager.default.fileExists(atPath: $0, isDirectory: &folder)
            && !folder.boolValue
        }
      } else {
        files = [path]
      }
      for file in files {
        switch indexer.index(file: file) {
        case .added(let key): entries.append(Entry(source: file, outcome: "added", storePath: key))
        case .present(let key):
          entries.append(Entry(source: file, outcome: "present", storePath: key))
        case .skipped: entries.append(Entry(source: file, outcome: "skipped"))
        case .failed(let message):
          entries.append(Entry(source: file, outcome: "failed", error: message))
        }
      }
    }
    let count = { (outcome: String) in entries.filter { $0.outcome == outcome }.count }
    if json {
      let counts = Counts(
        added: count("added"), present: count("present"), skipped: count("skipped"),
        failed: count("failed"))
      let document = Document(store: store, entries: entries, counts: counts)
      print(
        try JSONOutput.text(document, schema: .symbolsIndex, versions: .current(), snakeCase: true))
    } else {
      for entry in entries where entry.outcome != "skipped" {
        print("\(entry.outcome)\t\(entry.storePath ?? entry.error ?? "")\t\(entry.source)")
      }
      FileHandle.standardError.write(
        Data(
          "\(count("added")) added, \(count("present")) already present, \(count("skipped")) skipped, \(count("failed")) failed\n"
            .utf8))
    }
    if entries.contains(where: { $0.outcome == "failed" }) { throw ExitCode(1) }
  }
}
