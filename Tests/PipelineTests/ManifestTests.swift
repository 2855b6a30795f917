import CrashsiftTestSupport
import Foundation
import Ingest
import Interface
import Testing

@testable import Pipeline

@Suite("Manifest validation")
struct ManifestTests {
  func parse(_ json: String) throws -> Manifest {
    try Manifest.parse(data: Data(json.utf8), file: "m.json", baseDirectory: "/base")
  }

  func errors(_ json: String) -> [String] {
    do {
      _ = try parse(json)
      return []
    } catch let error as ConfigurationError {
      return error.messages
    } catch {
      return ["unexpected \(error)"]
    }
  }

  @Test("a complete manifest resolves paths against its directory")
  func valid() throws {
    let manifest = try parse(
      """
      {"version": 1, "output": "ws", "pipeline": "p/n.json",
       "symbol_path": ["syms", "/abs/store", "cache*c;SRV*down*https://msdl.microsoft.com/download/symbols"],
       "builds": [{"label": "b1", "date": "2026-11-01", "drivers": {"x.sys": "1.0"}}],
       "exposure": [{"build": "b1", "date": "2026-11-02", "machines": 10}],
       "batches": [{"id": "n1", "date": "2026-11-02", "build": "b1",
                    "archives": ["a/*.zip", {"path": "b.7z", "build": "b1"}]}]}
      """)
    #expect(manifest.output == "/base/ws")
    // Folders inside `_NT_SYMBOL_PATH` syntax resolve too; keywords and URLs stay as written.
    #expect(
      manifest.symbolPath == [
        "/base/syms", "/abs/store",
        "cache*/base/c;SRV*/base/down*https://msdl.microsoft.com/download/symbols",
      ])
    #expect(manifest.pipeline == "/base/p/n.json")
    #expect(manifest.builds == [.init(label: "b1", date: "2026-11-01", drivers: ["x.sys": "1.0"])])
    #expect(manifest.exposure == [.init(build: "b1", date: "2026-11-02", machines: 10)])
    #expect(manifest.batches.first?.archives.map(\.pattern) == ["/base/a/*.zip", "/base/b.7z"])
  }

  @Test("each problem names its place, what was expected and what was found")
  func preciseErrors() {
    let found = errors(
      """
      {"version": 1, "outptu": "x",
       "builds": [{"label": "b1", "date": "2026-13-01"}, {"label": "b1"}],
       "exposure": [{"build": "nope", "date": "2026-11-02", "machines": -3}],
       "batches": [{"date": "2026-11-02", "archives": [3, {"build": "b1"}], "build": "b9"},
                   {"id": "2026-11-02", "date": "2026-11-02", "archives": []}]}
      """)
    #expect(found.contains("outptu: unknown key (did you mean \"output\"?)"))
    #expect(found.contains("builds[0].date: expected a date as YYYY-MM-DD, found \"2026-13-01\""))
    #expect(found.contains("builds[1].label: build \"b1\" is listed twice"))
    #expect(found.contains("exposure[0].build: build \"nope\" is not listed in \"builds\""))
    #expect(found.contains("exposure[0].machines: expected a number of at least 0, found -3"))
    #expect(
      found.contains(
        "batches[0].archives[0]: expected a path string or an object with \"path\", found the number 3"
      ))
    #expect(found.contains("batches[0].archives[1]: missing required key \"path\""))
    #expect(found.contains("batches[0].build: build \"b9\" is not listed in \"builds\""))
    #expect(found.contains("batches[1].id: batch \"2026-11-02\" is listed twice"))
    #expect(found.contains("batches[1].archives: expected at least one archive path or glob"))
    #expect(found.count == 10, "\(found)")
  }

  @Test("machine_pattern: a valid regular expression with at most one capture group")
  func machinePattern() throws {
    let batches = #""batches": [{"date": "2026-11-02", "archives": ["a.zip"]}]"#
    let manifest = try parse(#"{"version": 1, "machine_pattern": "(PC-[0-9]+)/", "# + batches + "}")
    #expect(manifest.machinePattern == "(PC-[0-9]+)/")
    #expect(
      errors(#"{"version": 1, "machine_pattern": "(PC-[0-9]+", "# + batches + "}") == [
        "machine_pattern: not a valid regular expression: (PC-[0-9]+"
      ])
    #expect(
      errors(#"{"version": 1, "machine_pattern": "(a)(b)", "# + batches + "}") == [
        "machine_pattern: expected at most one capture group (the machine name)"
      ])
  }

  @Test("missing keys, wrong types, bad JSON and a wrong version are reported")
  func structural() {
    #expect(errors("{\"version\": 1}") == ["missing required key \"batches\""])
    #expect(
      errors("{\"batches\": []}") == [
        "missing required key \"version\"", "batches: expected at least one batch",
      ])
    #expect(
      errors("{\"version\": 2, \"batches\": {}}") == [
        "version: this crashsift reads manifest version 1, found 2",
        "batches: expected an array, found an object",
      ])
    #expect(errors("[1]") == ["expected an object, found an array"])
    #expect(
      errors("{\"version\": true, \"batches\": [{\"date\": \"2026-11-02\", \"archives\": [\"\"]}]}")
        == [
          "version: expected a whole number, found the boolean true",
          "batches[0].archives[0]: expected a non-empty string",
        ])
    #expect(errors("{\"version\": 1,").first?.hasPrefix("not valid JSON") == true)
  }

  @Test("a missing literal archive is an error, an empty glob a warning")
  func planning() throws {
    let dir = TemporaryDirectory()
    _ = FileManager.default.createFile(atPath: dir.file("n1/a.zip"), contents: Data([1]))
    _ = FileManager.default.createFile(atPath: dir.file("n1/b.zip"), contents: Data([1]))
    let ok = try Manifest.parse(
      data: Data(
        #"{"version":1,"batches":[{"date":"2026-11-02","archives":["n1/*.zip","n2/*.zip"]}]}"#.utf8),
      file: "m.json", baseDirectory: dir.path)
    let (archives, warnings) = try ok.plannedArchives()
    #expect(archives.map(\.path) == ["\(dir.path)/n1/a.zip", "\(dir.path)/n1/b.zip"])
    #expect(archives.allSatisfy { $0.batch == "2026-11-02" })
    #expect(warnings == ["batch 2026-11-02: \(dir.path)/n2/*.zip matched no file"])
    let missing = try Manifest.parse(
      data: Data(#"{"version":1,"batches":[{"date":"2026-11-02","archives":["n1/c.zip"]}]}"#.utf8),
      file: "m.json", baseDirectory: dir.path)
    #expect(
      throws: ConfigurationError(
        file: "m.json", messages: ["batches[0].archives[0]: \(dir.path)/n1/c.zip does not exist"])
    ) {
      try missing.plannedArchives()
    }
  }

  @Test("the pipeline file is validated the same way")
  func pipelineFile() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("p.json")
    _ = FileManager.default.createFile(
      atPath: path,
      contents: Data(#"{"version":1,"jobs":2,"ingest":{"max_depth":2,"max_entry":5}}"#.utf8))
    #expect(
      throws: ConfigurationError(
        file: path, messages: ["ingest.max_entry: unknown key (did you mean \"max_entry_bytes\"?)"])
    ) {
      try PipelineSettings.load(path: path)
    }
    _ = FileManager.default.createFile(
      atPath: path, contents: Data(#"{"version":1,"jobs":2,"ingest":{"max_depth":2}}"#.utf8))
    let settings = try PipelineSettings.load(path: path)
    #expect(settings.jobs == 2)
    #expect(settings.limits.maxDepth == 2)
  }

  @Test("the shipped manifest and pipeline file are valid and name existing archives")
  func shipped() throws {
    let manifest = try Manifest.load(path: "\(Corpus.packageRoot)/corpus-manifest.json")
    let (archives, warnings) = try manifest.plannedArchives()
    // Six field uploads (breakpad dumps), 54 forged uploads and one truncated upload.
    #expect(archives.count == 61)
    #expect(warnings.isEmpty)
    let settings = try PipelineSettings.load(path: try #require(manifest.pipeline))
    #expect(settings.limits == Ingest.IngestLimits())
  }
}
