import CrashsiftTestSupport
import Foundation
import Testing

@Suite("CLI basics")
struct CLIBasicsTests {
  @Test("--help lists the subcommands with examples")
  func help() throws {
    let result = try CrashsiftBinary.run(["--help"])
    #expect(result.status == 0)
    for word in ["run", "ingest", "status", "Examples:", "crashsift run --manifest", "Exit status"]
    {
      #expect(result.stdout.contains(word), "missing \(word)")
    }
    let sub = try CrashsiftBinary.run(["ingest", "--help"])
    #expect(sub.status == 0)
    #expect(sub.stdout.contains("--retry-failed"))
    #expect(sub.stdout.contains("Examples:"))
    // Every subcommand's help: examples, and no stray line-continuation backslashes.
    let commands = [
      ["run"], ["ingest"], ["parse"], ["status"], ["analyze"], ["bucket"], ["explain"], ["hash"],
      ["signify"], ["report"], ["forge"], ["symbols", "lookup"], ["symbols", "index"],
      ["symbols", "export"], ["symbols", "undecorate"],
    ]
    for command in commands {
      let help = try CrashsiftBinary.run(command + ["--help"])
      #expect(help.status == 0, "\(command)")
      #expect(!help.stdout.contains("\\\n"), "\(command): a literal backslash in --help")
      #expect(!help.stdout.contains(" \\ "), "\(command): a literal backslash in --help")
    }
  }

  @Test("usage errors exit 2 with the reason")
  func usage() throws {
    let unknown = try CrashsiftBinary.run(["frobnicate"])
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("frobnicate"))
    let jobs = try CrashsiftBinary.run(["run", "--jobs", "0"])
    #expect(jobs.status == 2)
    #expect(jobs.stderr.contains("--jobs must be between 1 and 1024"))
  }

  @Test("a broken manifest exits 2 naming every problem and its place")
  func badManifest() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("m.json")
    _ = FileManager.default.createFile(
      atPath: path,
      contents: Data(
        #"{"version": 1, "batches": [{"date": "2026-11-31x", "archives": ["a.zip"], "bild": "x"}]}"#
          .utf8))
    let result = try CrashsiftBinary.run(["run", "--manifest", path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("2 problems"))
    #expect(result.stderr.contains("batches[0].bild: unknown key (did you mean \"build\"?)"))
    #expect(
      result.stderr.contains(
        "batches[0].date: expected a date as YYYY-MM-DD, found \"2026-11-31x\""))
    let missing = try CrashsiftBinary.run(["run", "--manifest", dir.file("nope.json")])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("cannot read the manifest"))
  }

  @Test("status on a workspace that was never run says what to do")
  func statusEmpty() throws {
    let dir = TemporaryDirectory()
    let result = try CrashsiftBinary.run(["status", "--workspace", dir.path])
    #expect(result.status != 0)
    #expect(result.stderr.contains("run `crashsift run`"))
  }
}
