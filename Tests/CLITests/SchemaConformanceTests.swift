import CrashsiftTestSupport
import Foundation
import Testing

/// Every JSON document and CSV table the CLI produces, validated against `docs/schema/` by
/// Python's `jsonschema`, so the schemas cannot drift from the code.
@Suite("JSON and CSV output conform to docs/schema")
struct SchemaConformanceTests {
  /// Saves a command's standard output as `name` in `directory` for the validator.
  static func save(
    _ result: CrashsiftBinary.Result, as name: String, in directory: TemporaryDirectory
  )
    throws -> String
  {
    let path = directory.file("out/\(name)")
    try Data(result.stdout.utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  static func expectValid(_ files: [String], sourceLocation: SourceLocation = #_sourceLocation)
    throws
  {
    let errors = try SchemaValidator.errors(files: files)
    #expect(
      errors.isEmpty, "\(errors.prefix(20).joined(separator: "\n"))", sourceLocation: sourceLocation
    )
  }

  @Test(
    "analyze and explain --json on corpus dumps and forged dumps of every kind",
    .requires(.corpus, SchemaValidator.requirement))
  func analyzeAndExplain() throws {
    try SchemaValidator.requirement.resolve()
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    let scenarios = "\(Corpus.packageRoot)/samples/scenarios"
    // Forged: every kernel dump type of one scenario (triage, full, bitmap, RDMP) and a user
    // minidump, with the symbol store forge writes beside them.
    let forged = try CrashsiftBinary.run([
      "forge", "\(scenarios)/d1-crashdrv-build1.json", "\(scenarios)/user-av-contoso-app.json",
      "-o", dir.file("forged"), "--json",
    ])
    #expect(forged.status == 0, "\(forged.stderr)")
    let document =
      try JSONSerialization.jsonObject(with: Data(forged.stdout.utf8)) as? [String: Any]
    let written = document?["scenarios"] as? [[String: Any]] ?? []
    let forgedDumps = written.flatMap { $0["dumps"] as? [String] ?? [] }
    #expect(forgedDumps.count >= 5)
    let store = written.first?["store"] as? String ?? dir.path
    let corpusDumps = [
      "\(root)/minidump/breakpad/src/processor/testdata/minidump2.dmp",
      "\(root)/minidump/rust-minidump/testdata/invalid-parameter.dmp",
      "\(root)/kernel/triage_x64.dmp", "\(root)/kernel/triage_arm64.dmp",
    ]
    var files: [String] = []
    var kinds: Set<String> = []
    for (index, dump) in (corpusDumps + forgedDumps).enumerated() {
      let symbols = forgedDumps.contains(dump) ? ["--symbols", store] : []
      let analyze = try CrashsiftBinary.run(["analyze", "--json"] + symbols + [dump])
      #expect(analyze.status == 0, "\(dump): \(analyze.stderr)")
      files.append(try Self.save(analyze, as: "analyze-\(index).json", in: dir))
      for case let object as [String: Any]
        in (try? JSONSerialization.jsonObject(with: Data(analyze.stdout.utf8)) as? [Any]) ?? []
      {
        kinds.insert(object["schema"] as? String ?? "none")
      }
      let explain = try CrashsiftBinary.run(
        ["explain", "--json", "--signature", "socorro"] + symbols + [dump])
      // A dump without an exception or bug check has nothing to explain (exit 1, no output).
      if explain.status == 0 {
        files.append(try Self.save(explain, as: "explain-\(index).json", in: dir))
      }
    }
    #expect(kinds == ["crashsift.analyze-minidump/1.1", "crashsift.analyze-kernel/1.1"])
    #expect(files.count > corpusDumps.count + forgedDumps.count)
    try Self.expectValid(files)
  }

  @Test(
    "symbols lookup, symbols index and forge --json on a corpus PDB and a sample scenario",
    .requires(.corpus, SchemaValidator.requirement))
  func symbolsAndForge() throws {
    try SchemaValidator.requirement.resolve()
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    let out = "\(root)/pdb/generated-lld/out"
    var files: [String] = []
    // Hits with lines, an RVA no function holds, and one past the image.
    let lookup = try CrashsiftBinary.run([
      "symbols", "lookup", "--json", "--store", "srv*\(out)/store", "tiny64.pdb",
      "080EE95D32E0099C4C4C44205044422E1", "0x1000", "0x1040", "0x3000", "0x0",
    ])
    #expect(lookup.status == 0, "\(lookup.stderr)")
    files.append(try Self.save(lookup, as: "symbols-lookup.json", in: dir))
    let inputs = dir.file("build")
    try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
    for name in ["tiny64.pdb", "tiny64.dll"] {
      try FileManager.default.copyItem(atPath: "\(out)/\(name)", toPath: "\(inputs)/\(name)")
    }
    _ = FileManager.default.createFile(atPath: "\(inputs)/notes.txt", contents: Data("hi".utf8))
    let store = dir.file("store")
    // Added and skipped, then present, then a path that does not exist (failed, exit 1).
    for pass in ["index-1", "index-2"] {
      let index = try CrashsiftBinary.run(["symbols", "index", "--json", inputs, "--store", store])
      #expect(index.status == 0, "\(index.stderr)")
      files.append(try Self.save(index, as: "symbols-\(pass).json", in: dir))
    }
    let failing = try CrashsiftBinary.run([
      "symbols", "index", "--json", dir.file("none"), "--store", store,
    ])
    #expect(failing.status == 1)
    files.append(try Self.save(failing, as: "symbols-index-failed.json", in: dir))
    // Local and missing keys (the servers' own outcomes are covered in SymbolServerTests).
    let keys = dir.file("keys.txt")
    try Data(
      "tiny64.pdb/080EE95D32E0099C4C4C44205044422E1/tiny64.pdb\nabsent.pdb/00112233445566778899AABBCCDDEEFF1/absent.pdb\n"
        .utf8
    ).write(to: URL(fileURLWithPath: keys))
    let fetch = try CrashsiftBinary.run([
      "symbols", "fetch", "--json", "--offline", "--keys", keys, "--symbols",
      "srv*\(out)/store;srv*\(dir.file("cache"))*https://symbols.invalid/store",
    ])
    #expect(fetch.status == 1, "\(fetch.stderr)")
    files.append(try Self.save(fetch, as: "symbols-fetch.json", in: dir))
    let scenarios = "\(Corpus.packageRoot)/samples/scenarios"
    let forge = try CrashsiftBinary.run([
      "forge", "\(scenarios)/d1-crashdrv-build1.json", "-o", dir.file("forged"), "--json",
    ])
    #expect(forge.status == 0, "\(forge.stderr)")
    files.append(try Self.save(forge, as: "forge.json", in: dir))
    let scale = try CrashsiftBinary.run([
      "forge", "--scale", "3", "--nights", "1", "-o", dir.file("corpus"), "--images",
      "\(Corpus.packageRoot)/samples/images", "--json",
    ])
    #expect(scale.status == 0, "\(scale.stderr)")
    files.append(try Self.save(scale, as: "forge-scale.json", in: dir))
    var kinds: [String] = []
    for file in files {
      let object = try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: file)))
      kinds.append((object as? [String: Any])?["schema"] as? String ?? "none")
    }
    #expect(
      Set(kinds) == [
        "crashsift.symbols-lookup/1.0", "crashsift.symbols-index/1.0", "crashsift.forge/1.0",
        "crashsift.symbols-fetch/1.0",
      ])
    try Self.expectValid(files)
  }

  @Test(
    "run, ingest, parse, bucket, status and report --json, report.json and every CSV",
    .requires(SchemaValidator.requirement))
  func pipeline() throws {
    try SchemaValidator.requirement.resolve()
    let dir = TemporaryDirectory()
    let workspace = dir.file("ws")
    let manifest = "\(Corpus.packageRoot)/corpus-manifest.json"
    let common = ["--manifest", manifest, "--workspace", workspace]
    var files: [String] = []
    // The sample corpus holds one corrupt upload on purpose: run exits 1 and says so in JSON.
    let run = try CrashsiftBinary.run(["run", "--json", "--quiet"] + common)
    #expect(run.status == 1, "\(run.stderr)")
    files.append(try Self.save(run, as: "run.json", in: dir))
    for command in ["ingest", "parse", "bucket"] {
      let result = try CrashsiftBinary.run([command, "--json", "--quiet"] + common)
      #expect(result.status == 0, "\(command): \(result.stderr)")
      files.append(try Self.save(result, as: "\(command).json", in: dir))
    }
    let status = try CrashsiftBinary.run(["status", "--json"] + common)
    #expect(status.status == 0)
    files.append(try Self.save(status, as: "status.json", in: dir))
    // A preview with the shipped rules themselves: every dump compared, none changed.
    let preview = try CrashsiftBinary.run(
      ["bucket", "--json", "--preview", "\(Corpus.packageRoot)/pipelines/rules/bucketing.json"]
        + common)
    #expect(preview.status == 0, "\(preview.stderr)")
    #expect(preview.stdout.contains("\"changed\" : 0"), "\(preview.stdout.prefix(400))")
    files.append(try Self.save(preview, as: "bucket-preview.json", in: dir))
    let report = try CrashsiftBinary.run(["report", "--json"] + common)
    #expect(report.status == 0, "\(report.stderr)")
    files.append(try Self.save(report, as: "report-stdout.json", in: dir))
    let folder = "\(workspace)/report"
    let tables = try FileManager.default.contentsOfDirectory(atPath: folder).filter {
      $0.hasSuffix(".csv") || $0 == "report.json" || $0 == "alerts.json"
    }
    #expect(tables.count == 17)
    files += tables.map { "\(folder)/\($0)" }
    try Self.expectValid(files)
  }

  @Test(
    "a renamed, a retyped and an undocumented member each fail validation",
    .requires(SchemaValidator.requirement))
  func driftIsCaught() throws {
    try SchemaValidator.requirement.resolve()
    let dir = TemporaryDirectory()
    let workspace = dir.file("ws")
    try FileManager.default.createDirectory(atPath: workspace, withIntermediateDirectories: true)
    let manifest = dir.file("m.json")
    try Data(#"{"version":1,"batches":[{"date":"2026-11-20","archives":["none/*"]}]}"#.utf8).write(
      to: URL(fileURLWithPath: manifest))
    let common = ["--manifest", manifest, "--workspace", workspace]
    let run = try CrashsiftBinary.run(["ingest", "--json", "--quiet"] + common)
    #expect(run.status == 0, "\(run.stderr)")
    let status = try CrashsiftBinary.run(["status", "--json"] + common)
    #expect(status.status == 0, "\(status.stderr)")
    #expect(try SchemaValidator.errors(json: status.stdout, name: "ok.json", in: dir).isEmpty)
    let renamed = status.stdout.replacingOccurrences(
      of: #""occurrences" :"#, with: #""occurrence_count" :"#)
    let renamedErrors = try SchemaValidator.errors(json: renamed, name: "renamed.json", in: dir)
    #expect(renamedErrors.contains { $0.contains("'occurrences' is a required property") })
    #expect(renamedErrors.contains { $0.contains("'occurrence_count' was unexpected") })
    let retyped = status.stdout.replacingOccurrences(
      of: #""occurrences" : 0"#, with: #""occurrences" : "0""#)
    #expect(
      try SchemaValidator.errors(json: retyped, name: "retyped.json", in: dir).contains {
        $0.contains("is not of type 'integer'")
      })
    let unversioned = status.stdout.replacingOccurrences(
      of: #""schema" : "crashsift.status/1.0""#, with: #""schema" : "crashsift.status/2.0""#)
    #expect(
      !(try SchemaValidator.errors(json: unversioned, name: "v2.json", in: dir)).isEmpty)
  }
}
