import Analysis
import ArgumentParser
import Foundation

/// `crashsift signify`: siggen's `signify`, for Socorro users comparing signatures.
struct SignifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "signify",
    abstract: "Print the Socorro signature of siggen crash-data JSON read from standard input.",
    discussion: """
      Reads siggen's "signature generation crash data" (threads[].frames[] with function, \
      module, file, line, offset; crashing_thread; reason; os) and prints \
      {"signature", "proto_signature", "notes"} as siggen's signify does, with the signature \
      lists of pipelines/rules/socorro/ (siggen 2.2.20241029; --lists DIR for others).

      Examples:
        crashsift signify < crash.json
        crashsift analyze --signature socorro --json crash.dmp
      """)

  @Option(name: .long, help: "Folder of siggen signature lists (default: the built-in ones).")
  var lists: String?

  func run() throws {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      FileHandle.standardError.write(Data("error: standard input is not a JSON object\n".utf8))
      throw ExitCode(1)
    }
    let signatureLists: SocorroLists
    do {
      guard let loaded = try lists.map({ try SocorroLists(directory: $0) }) ?? SocorroLists.defaults
      else { throw ExitCode(1) }
      signatureLists = loaded
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    }
    let result = SocorroSignature.generate(.init(json: object), lists: signatureLists)
    let output: [String: Any] = [
      "signature": result.signature, "proto_signature": result.protoSignature,
      "notes": result.notes,
    ]
    let text = try JSONSerialization.data(
      withJSONObject: output, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: text, as: UTF8.self))
  }
}
