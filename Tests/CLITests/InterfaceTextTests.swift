import CrashsiftTestSupport
import Foundation
import Testing

/// What users read: `--version`, and `--help` texts that promise nothing the code lacks.
@Suite("version and help texts")
struct InterfaceTextTests {
  static let subcommands = [
    [], ["run"], ["ingest"], ["parse"], ["status"], ["analyze"], ["symbols"],
    ["symbols", "lookup"], ["symbols", "index"], ["symbols", "export"], ["symbols", "undecorate"],
    ["forge"], ["bucket"], ["hash"], ["explain"], ["signify"], ["report"],
  ]

  /// Wording that once described features before they landed; none may come back.
  static let staleWording = [
    #"until [^.]*\blands?\b"#, #"\bnot fetched\b"#, #"\bnot (yet )?implemented\b"#,
    #"\bnot yet\b"#, #"\bcoming soon\b"#, #"\bTODO\b"#, #"\bfor now\b"#, #"\bheader only\b"#,
  ]

  @Test("--version names the release, commit, checkpoint schema, rules and stage versions")
  func version() throws {
    let result = try CrashsiftBinary.run(["--version"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first?.hasPrefix("crashsift ") == true)
    #expect(
      lines.contains {
        $0.range(of: #"^commit: ([0-9a-f]{40}|unknown)$"#, options: .regularExpression) != nil
      }, "\(lines)")
    for prefix in ["checkpoint schema: ", "bucketing rules: ", "stage parse: ", "stage bucket: "] {
      #expect(lines.contains { $0.hasPrefix(prefix) }, "\(prefix) in \(lines)")
    }
  }

  @Test("no --help text says a feature is missing that the code has")
  func helpTexts() throws {
    for command in Self.subcommands {
      let result = try CrashsiftBinary.run(command + ["--help"])
      #expect(result.status == 0, "\(command): \(result.stderr)")
      // ArgumentParser wraps lines; join them so a phrase split across lines still matches.
      let text = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
      #expect(text.count > 200, "\(command): \(text)")
      for pattern in Self.staleWording {
        let hit = text.range(of: pattern, options: [.regularExpression, .caseInsensitive])
        #expect(
          hit == nil,
          "crashsift \(command.joined(separator: " ")) --help: \(hit.map { text[$0] } ?? "")")
      }
    }
  }
}
