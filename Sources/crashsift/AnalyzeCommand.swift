import ArgumentParser
import ByteReader
import Foundation
import Minidump

/// `crashsift analyze FILE…`: one dump at a time, no workspace.
struct AnalyzeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "analyze",
    abstract: "Show what a dump holds: system, crash reason and address, threads, modules.",
    discussion: """
      Reads the file directly (no workspace, no manifest). Works for user-mode minidumps (MDMP); \
      kernel dumps will follow with the kernel-dump reader.

      Examples:
        crashsift analyze crash.dmp
        crashsift analyze --json out/dumps/ab/ab12….dmp | jq .crash
      """)

  @Argument(help: "Dump files to analyze.")
  var files: [String]

  @Flag(name: .long, help: "Print JSON (one object per file, in an array).")
  var json = false

  func run() throws {
    var reports: [MinidumpReport] = []
    var failed = false
    for path in files {
      do {
        let file = try MappedFile(path: path)
        let head = Array(file.bytes.prefix(8))
        if head.starts(with: Array("PAGE".utf8)) {
          throw ParseError(path, "a kernel dump: kernel-dump analysis has not landed yet")
        }
        let dump = try Minidump(file: file)
        let report = MinidumpReport(dump, name: path)
        if json {
          reports.append(report)
        } else {
          print(report.text)
          if path != files.last { print("") }
        }
      } catch {
        failed = true
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      }
    }
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      print(String(decoding: try encoder.encode(reports), as: UTF8.self))
    }
    if failed { throw ExitCode(1) }
  }
}
