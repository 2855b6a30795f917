import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

/// `crashsift analyze --processes`, `--process X` and `--threads` on memory dumps DumpSynth
/// writes (`ProcessScenario`): WinDbg's `!process` layout (golden text), the JSON schema, the
/// selectors, and what a triage dump and a minidump answer.
@Suite("analyze --processes")
struct ProcessListCommandTests {
  static func write(_ layout: KernelDumpWriter.Layout, in dir: TemporaryDirectory, _ name: String)
    throws -> String
  {
    let path = dir.file(name)
    try Data(ProcessScenario.bytes(layout)).write(to: URL(fileURLWithPath: path))
    return path
  }

  @Test("the process list and one process with its threads, as WinDbg lays them out")
  func text() throws {
    let dir = TemporaryDirectory()
    let full = try Self.write(.full, in: dir, "MEMORY.DMP")
    let processes = try CrashsiftBinary.run(["analyze", "--processes", full])
    #expect(processes.status == 0, "\(processes.stderr)")
    Golden.check(
      processes.stdout.replacingOccurrences(of: dir.path, with: "<dir>"),
      against: "analyze-processes.txt")
    let one = try CrashsiftBinary.run(["analyze", "--process", "csrss.exe", full])
    #expect(one.status == 0, "\(one.stderr)")
    Golden.check(one.stdout, against: "analyze-process-csrss.txt")
    // The same process by EPROCESS address and by decimal process id (0x108 = 264).
    let byAddress = try CrashsiftBinary.run(["analyze", "--process", "ffffc08bdc200080", full])
    let byID = try CrashsiftBinary.run(["analyze", "--process", "264", full])
    #expect(byAddress.stdout == one.stdout)
    #expect(byID.stdout == one.stdout)
    let none = try CrashsiftBinary.run(["analyze", "--process", "nosuch.exe", full])
    #expect(none.status == 1)
    #expect(none.stdout.contains("No process matches nosuch.exe."))
    // A bitmap dump of the same machine lists the same.
    let bitmap = try Self.write(.bitmap(type: 5, signature: "SDMP"), in: dir, "bitmap.dmp")
    let threads = try CrashsiftBinary.run(["analyze", "--threads", full])
    let bitmapThreads = try CrashsiftBinary.run(["analyze", "--threads", bitmap])
    #expect(threads.status == 0 && bitmapThreads.status == 0)
    #expect(threads.stdout == bitmapThreads.stdout)
    #expect(threads.stdout.components(separatedBy: "THREAD ").count - 1 == 6)
  }

  @Test(
    "JSON validates against docs/schema/processes.schema.json",
    .requires(SchemaValidator.requirement))
  func json() throws {
    let dir = TemporaryDirectory()
    let full = try Self.write(.full, in: dir, "MEMORY.DMP")
    let triage = dir.file("triage.dmp")
    try Data(TriageDumpWriter().bytes()).write(to: URL(fileURLWithPath: triage))
    let result = try CrashsiftBinary.run(["analyze", "--threads", "--json", full, triage])
    #expect(result.status == 0, "\(result.stderr)")
    let documents = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    #expect(documents.count == 2)
    #expect(documents[0]["schema"] as? String == "crashsift.processes/1.0")
    #expect((documents[0]["processes"] as? [Any])?.count == 5)
    #expect(documents[0]["complete"] as? Bool == true)
    #expect((documents[1]["problems"] as? [String])?.first?.contains("triage dump") == true)
    var files: [String] = []
    for (index, document) in documents.enumerated() {
      let path = dir.file("processes-\(index).json")
      try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: path))
      files.append(path)
    }
    let errors = try SchemaValidator.errors(files: files)
    #expect(errors.isEmpty, "\(errors)")
  }

  @Test("offsets from the kernel's own PDB: a build the table does not know lists with symbols")
  func fromPDB() throws {
    let dir = TemporaryDirectory()
    let fixtures = "\(Corpus.packageRoot)/samples/images/kernel-types"
    let store = dir.file("store")
    let index = try CrashsiftBinary.run(["symbols", "index", fixtures, "--store", store])
    #expect(index.status == 0, "\(index.stderr)")
    // The stand-in kernel image's identity, as its module-list entry must give it.
    let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/ntoskrnl.exe")))
    func u32(_ at: Int) -> UInt32 {
      UInt32(image[at]) | UInt32(image[at + 1]) << 8 | UInt32(image[at + 2]) << 16
        | UInt32(image[at + 3]) << 24
    }
    let pe = Int(u32(0x3C))
    let kernel = SyntheticKernel.Module(
      name: "ntoskrnl.exe", path: #"\SystemRoot\system32\ntoskrnl.exe"#,
      base: 0xFFFF_F804_7BA0_0000, size: u32(pe + 0x50), checksum: 0, timeDateStamp: u32(pe + 8))
    let path = dir.file("server2022.dmp")
    try Data(ProcessScenario.bytes(.full, build: 20348, kernel: kernel))
      .write(to: URL(fileURLWithPath: path))

    let without = try CrashsiftBinary.run(["analyze", "--processes", "--offline", path])
    #expect(without.status == 0)
    #expect(
      without.stdout.contains("EPROCESS.ActiveProcessLinks: offset unknown for x64 build 20348"))
    let with = try CrashsiftBinary.run([
      "analyze", "--threads", "--json", "--offline", "--symbols", store, path,
    ])
    #expect(with.status == 0, "\(with.stderr)")
    let document = try #require(
      (try JSONSerialization.jsonObject(with: Data(with.stdout.utf8)) as? [[String: Any]])?.first)
    #expect((document["processes"] as? [Any])?.count == 5)
    #expect(document["complete"] as? Bool == true)
    let offsets = document["offsets"] as? [[String: Any]] ?? []
    let links = offsets.first { $0["field"] as? String == "EPROCESS.ActiveProcessLinks" }
    #expect((links?["origin"] as? String)?.hasPrefix("nt PDB: ntkrnlmp.pdb") == true, "\(offsets)")
    #expect(links?["offset"] as? Int == 0x448)
    #expect(document["pdb_problem"] == nil)
  }

  @Test("a user-mode minidump is refused with what to do instead")
  func minidump() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("user.dmp")
    try Data(MinidumpWriter().bytes()).write(to: URL(fileURLWithPath: path))
    let result = try CrashsiftBinary.run(["analyze", "--processes", path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("user-mode minidump"))
  }

  @Test(
    "forge --processes: full and bitmap dumps list the truth, offsets from the stand-in kernel's PDB, every stack, the 0x9F on the filter above contoso.sys"
  )
  func forged() throws {
    let dir = TemporaryDirectory()
    let out = dir.file("mem")
    let forge = try CrashsiftBinary.run([
      "forge", "--processes", "-o", out, "--images", "\(Corpus.packageRoot)/samples/images",
    ])
    #expect(forge.status == 0, "\(forge.stderr)")
    for kind in ["full", "bitmap"] {
      let path = "\(out)/processes-0x9f-\(kind).dmp"
      let truth = try #require(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: path + ".truth.json"))) as? [String: Any])
      let listed = try CrashsiftBinary.run([
        "analyze", "--threads", "--json", "--offline", "--symbols", "\(out)/store", path,
      ])
      #expect(listed.status == 0, "\(listed.stderr)")
      let document = try #require(
        (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?
          .first)
      #expect(document["complete"] as? Bool == true)
      let offsets = document["offsets"] as? [[String: Any]] ?? []
      for field in ["EPROCESS.ActiveProcessLinks", "KTHREAD.KernelStack", "ETHREAD.Cid"] {
        let origin = offsets.first { $0["field"] as? String == field }?["origin"] as? String
        #expect(
          origin?.hasPrefix("nt PDB: ntkrnlmp.pdb") == true, "\(kind) \(field): \(origin ?? "-")")
      }
      let expected = truth["processes"] as? [[String: Any]] ?? []
      let processes = document["processes"] as? [[String: Any]] ?? []
      #expect(processes.count == expected.count)
      for (got, want) in zip(processes, expected) {
        #expect(got["address"] as? String == want["address"] as? String)
        #expect(got["process_id"] as? Int == want["process_id"] as? Int)
        #expect(got["parent_process_id"] as? Int == want["parent_process_id"] as? Int)
        #expect(got["image_name"] as? String == want["name"] as? String)
        let threads = (got["threads"] as? [[String: Any]] ?? []).map {
          [$0["address"] as? String ?? "", "\($0["thread_id"] as? Int ?? -1)"]
        }
        let wanted = (want["threads"] as? [[String: Any]] ?? []).map {
          [$0["address"] as? String ?? "", "\($0["thread_id"] as? Int ?? -2)"]
        }
        #expect(threads == wanted, "\(kind) \(want["name"] ?? "")")
      }
      // Every thread has a stack: waiting ones from their switch frame, running ones from their
      // processor's saved context or, for the crashing one, the bug check's.
      let stacks = document["stacks"] as? [[String: Any]] ?? []
      let threadCount = expected.reduce(0) { $0 + (($1["threads"] as? [Any])?.count ?? 0) }
      #expect(stacks.count == threadCount)
      #expect(stacks.allSatisfy { $0["stack"] != nil }, "\(stacks.filter { $0["stack"] == nil })")
      let analyzed = try CrashsiftBinary.run([
        "analyze", "--json", "--offline", "--symbols", "\(out)/store", path,
      ])
      let report = try #require(
        (try JSONSerialization.jsonObject(with: Data(analyzed.stdout.utf8)) as? [[String: Any]])?
          .first)
      let bucket = report["bucket"] as? [String: Any]
      #expect(bucket?["failure_bucket_id"] as? String == truth["bucket"] as? String)
    }
  }
}
