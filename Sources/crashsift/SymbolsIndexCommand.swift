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

  @Flag(name: .long, help: "Print a JSON array: one object per file.")
  var json = false

  @Argument(help: "Files and folders to index.")
  var paths: [String]

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
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      print(String(decoding: try encoder.encode(entries), as: UTF8.self))
    } else {
      for entry in entries where entry.outcome != "skipped" {
        print("\(entry.outcome)\t\(entry.storePath ?? entry.error ?? "")\t\(entry.source)")
      }
      let count = { (outcome: String) in entries.filter { $0.outcome == outcome }.count }
      FileHandle.standardError.write(
        Data(
          "\(count("added")) added, \(count("present")) already present, \(count("skipped")) skipped, \(count("failed")) failed\n"
            .utf8))
    }
    if entries.contains(where: { $0.outcome == "failed" }) { throw ExitCode(1) }
  }
}
