import CrashsiftTestSupport
import Foundation
import Testing

/// The whole pipeline with its symbols served over loopback HTTP and nothing local.
@Suite("symbol servers: the pipeline")
struct SymbolServerPipelineTests {
  /// The sample manifest with `symbolPath` as its symbol path, in `dir` beside links to the
  /// samples and pipelines it names by relative paths.
  static func manifest(symbolPath: [String], in dir: TemporaryDirectory, name: String) throws
    -> String
  {
    let root = Corpus.packageRoot
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(root)/corpus-manifest.json"))
    guard var manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw Requirement.Missing(description: "corpus-manifest.json is not a manifest")
    }
    manifest["symbol_path"] = symbolPath
    for folder in ["samples", "pipelines"]
    where !FileManager.default.fileExists(atPath: "\(dir.path)/\(folder)") {
      try FileManager.default.createSymbolicLink(
        atPath: "\(dir.path)/\(folder)", withDestinationPath: "\(root)/\(folder)")
    }
    let path = dir.file(name)
    try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys]).write(
      to: URL(fileURLWithPath: path))
    return path
  }

  /// Rows of every stage table; the text of why a module had no symbols names where it was looked
  /// for (a folder, or the URLs asked), so only its presence is compared.
  static func snapshot(_ workspace: String) throws -> [String] {
    try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite").map { line in
      var fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
      switch fields.first {
      case "symbolized_frames" where fields.count == 10:
        fields[9] = fields[9] == "NULL" ? "NULL" : "missing"
      case "stage_state" where fields.count == 6:
        fields[5] = fields[5] == "NULL" ? "NULL" : "error"
      case "stack_walks" where fields.count == 7:
        fields[6] = fields[6] == "NULL" ? "NULL" : "missing"
      default: break
      }
      return fields.joined(separator: "|")
    }
  }

  @Test("the sample corpus with its store and .sym tree over loopback HTTP equals the local run")
  func sameAsLocal() throws {
    let root = Corpus.packageRoot
    let server = try LoopbackSymbolServer(root: "\(root)/samples")
    defer { server.stop() }
    let dir = TemporaryDirectory()
    let local = try Self.manifest(
      symbolPath: ["\(root)/samples/symbols", "srv*\(root)/samples/store"], in: dir,
      name: "local.json")
    let cache = dir.file("cache")
    let remote = try Self.manifest(
      symbolPath: [
        "srv*\(cache)*\(server.baseURL)/symbols", "srv*\(cache)*\(server.baseURL)/store",
      ], in: dir, name: "remote.json")
    var snapshots: [[String]] = []
    for manifest in [local, remote] {
      let workspace = dir.file("ws\(snapshots.count)")
      let run = try CrashsiftBinary.run(
        ["run", "--manifest", manifest, "--workspace", workspace, "--quiet", "--no-report"])
      // 1: the samples' deliberately truncated upload fails, as in every run of them.
      #expect(run.status == 1, "\(run.stderr)")
      snapshots.append(try Self.snapshot(workspace))
    }
    #expect(snapshots[0].count > 100)
    let same = snapshots[0] == snapshots[1]
    #expect(same, "\(LineDiff.describe(actual: snapshots[1], expected: snapshots[0]))")
    let fetched = server.log.filter { !$0.hasSuffix("index2.txt") }
    #expect(!fetched.isEmpty)

    // A second run over the filled cache asks the server for nothing it already answered.
    server.clearLog()
    let again = try CrashsiftBinary.run(
      ["run", "--manifest", remote, "--workspace", dir.file("ws-again"), "--quiet", "--no-report"])
    #expect(again.status == 1, "\(again.stderr)")
    let repeated = try Self.snapshot(dir.file("ws-again")) == snapshots[1]
    #expect(repeated)
    // Files are in the cache and misses are remembered: not one request.
    #expect(server.log.isEmpty, "asked again: \(server.log)")

    // symbols fetch over the workspace finds everything the runs fetched in the cache.
    let fetch = try CrashsiftBinary.run([
      "symbols", "fetch", "--workspace", dir.file("ws1"), "--offline", "--json", "--symbols",
      "srv*\(cache)*\(server.baseURL)/symbols;srv*\(cache)*\(server.baseURL)/store",
    ])
    let document = try JSONSerialization.jsonObject(with: Data(fetch.stdout.utf8)) as? [String: Any]
    let counts = document?["counts"] as? [String: Int]
    #expect((counts?["local"] ?? 0) >= 10, "\(fetch.stdout.prefix(2000))")
    #expect(counts?["fetched"] == 0)
  }

  @Test("symbols fetch: images then the PDBs they name, a manifest of misses, a server down")
  func fetchCommand() throws {
    let server = try LoopbackSymbolServer(root: "\(Corpus.packageRoot)/samples/store")
    let dir = TemporaryDirectory()
    let keys = dir.file("keys.txt")
    try Data(
      """
      contoso-app.pdb/07824A75B53B8A494C4C44205044422E1/contoso-app.pdb
      crashdrv.sys/651000005000/crashdrv.sys
      absent.pdb/00112233445566778899AABBCCDDEEFF1/absent.pdb

      """.utf8
    ).write(to: URL(fileURLWithPath: keys))
    let symbols = "srv*\(dir.file("cache"))*\(server.baseURL)"
    let first = try CrashsiftBinary.run([
      "symbols", "fetch", "--keys", keys, "--symbols", symbols, "--json", "--manifest-out",
      dir.file("missing.txt"),
    ])
    #expect(first.status == 1, "\(first.stderr)")
    let document = try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
    let outcomes = (document?["keys"] as? [[String: Any]] ?? []).map {
      "\($0["outcome"] as? String ?? "?") \($0["key"] as? String ?? "?")"
    }
    #expect(
      outcomes == [
        "missing absent.pdb/00112233445566778899AABBCCDDEEFF1/absent.pdb",
        "fetched contoso-app.pdb/07824A75B53B8A494C4C44205044422E1/contoso-app.pdb",
        "fetched crashdrv.sys/651000005000/crashdrv.sys",
        "fetched crashdrv.pdb/BE4E28C28120CE474C4C44205044422E1/crashdrv.pdb",
      ])
    #expect(
      (try? String(contentsOfFile: dir.file("missing.txt"), encoding: .utf8))
        == "absent.pdb/00112233445566778899AABBCCDDEEFF1/absent.pdb\n")
    let second = try CrashsiftBinary.run(["symbols", "fetch", "--keys", keys, "--symbols", symbols])
    #expect(second.stdout.contains("4 keys: 3 local, 0 fetched, 1 missing, 0 unavailable"))
    // The server gone: keys not in the cache are unavailable, exit 3.
    server.stop()
    let down = try CrashsiftBinary.run(
      [
        "symbols", "fetch", "--keys", keys, "--symbols",
        "srv*\(dir.file("other"))*\(server.baseURL)",
      ],
      environment: ["CRASHSIFT_SYMBOL_RETRIES": "0", "CRASHSIFT_SYMBOL_CONNECT_TIMEOUT": "1"])
    #expect(down.status == 3, "\(down.stdout) \(down.stderr)")
    #expect(down.stdout.contains("unavailable"))
  }

  @Test(
    "deferred dumps wait on their lookup: no request while the miss is remembered, one per module once it expires, and a server back",
    .requires(.corpus))
  func deferredWaitsOnTheServer() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    // Three triage dumps crashing in tiny64.dll, whose image and PDB the server does not have yet.
    for index in 0..<3 {
      try DriverCrashDump.write(to: dir.file("night/dump\(index).dmp"), variant: UInt64(index))
    }
    let served = dir.file("served")
    try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
    var server = try LoopbackSymbolServer(root: served)
    defer { server.stop() }
    let manifest = dir.file("manifest.json")
    try Data(
      """
      {"version": 1, "symbol_path": ["srv*\(dir.file("cache"))*\(server.baseURL)"],
       "batches": [{"id": "n0", "date": "2026-11-20", "archives": ["night/*"]}]}
      """.utf8
    ).write(to: URL(fileURLWithPath: manifest))
    let arguments = ["run", "--manifest", manifest, "--workspace", dir.file("ws"), "--json"]
    func symbolize(_ environment: [String: String] = [:]) throws -> [String: Any] {
      let run = try CrashsiftBinary.run(
        arguments, environment: ["CRASHSIFT_SYMBOL_RETRIES": "0"].merging(environment) { $1 })
      #expect(run.status == 0, "\(run.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
      let stages = object?["stages"] as? [[String: Any]] ?? []
      return stages.first { $0["name"] as? String == "symbolize" } ?? [:]
    }

    var summary = try symbolize()
    #expect(summary["deferred"] as? Int == 3)
    // The image was asked for once (as named, compressed, file.ptr, lower case), not per dump.
    let firstAsked = server.log.filter { !$0.hasSuffix("index2.txt") }
    #expect(!firstAsked.isEmpty)
    #expect(Set(firstAsked).count == firstAsked.count, "\(server.log)")

    // The files are published, but the miss is remembered: no request, no dump walked again.
    let out = "\(root)/pdb/generated-lld/out"
    let index = try CrashsiftBinary.run([
      "symbols", "index", "\(out)/tiny64.dll", "\(out)/tiny64.pdb", "--store", served,
    ])
    #expect(index.status == 0, "\(index.stderr)")
    server.clearLog()
    summary = try symbolize()
    #expect(summary["processed"] as? Int == 0)
    #expect(server.log.isEmpty, "\(server.log)")

    // The server goes down and the miss expires: still deferred, nothing walked again.
    let port = server.port
    server.stop()
    summary = try symbolize(["CRASHSIFT_SYMBOL_MISS_EXPIRY": "0"])
    #expect(summary["processed"] as? Int == 0)
    #expect(summary["retried_deferred"] as? Int == 0)

    // Back up: the one waiting lookup is asked, its image and PDB fetched once, and exactly
    // the three dumps are redone.
    server = try LoopbackSymbolServer(root: served, port: port)
    summary = try symbolize(["CRASHSIFT_SYMBOL_MISS_EXPIRY": "0"])
    #expect(summary["retried_deferred"] as? Int == 3)
    #expect(summary["done"] as? Int == 3)
    let fetched = server.log.filter { $0.hasSuffix("/tiny64.dll") || $0.hasSuffix("/tiny64.pdb") }
    #expect(fetched.count == 2, "\(server.log)")
  }
}
