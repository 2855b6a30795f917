import CrashsiftTestSupport
import Foundation
import Testing

@Suite("crashsift symbols")
struct SymbolsCommandTests {
  @Test(
    "lookup names RVAs from a symbol store (text golden, JSON), and explains a miss",
    .requires(.corpus))
  func lookup() throws {
    let root = try Requirement.corpus.resolve()
    let store = "\(root)/pdb/generated-lld/out/store"
    let arguments = [
      "symbols", "lookup", "--store", "srv*\(store)", "tiny64.pdb",
      "080EE95D32E0099C4C4C44205044422E1", "0x1000", "1022", "0x1040", "0x3000", "0x0",
    ]
    let text = try CrashsiftBinary.run(arguments)
    #expect(text.status == 0, "\(text.stderr)")
    Golden.check(text.stdout, against: "symbols-lookup.txt")
    let json = try CrashsiftBinary.run(arguments + ["--json"])
    #expect(json.status == 0)
    let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(document?["schema"] as? String == "crashsift.symbols-lookup/1.0")
    #expect(document?["debug_file"] as? String == "tiny64.pdb")
    let answers = document?["answers"] as? [[String: Any]]
    #expect(answers?.count == 5)
    #expect(answers?.first?["function"] as? String == "leaf_function")
    #expect(answers?.first?["line"] as? Int == 10)

    let miss = try CrashsiftBinary.run([
      "symbols", "lookup", "--offline", "--store",
      "srv*\(store)*https://msdl.microsoft.com/download/symbols", "ntkrnlmp.pdb",
      "3844DBB920174967BE7AA4A2C20430FA2", "0x1000",
    ])
    #expect(miss.status == 1)
    #expect(miss.stderr.contains("no ntkrnlmp.pdb/3844DBB920174967BE7AA4A2C20430FA2 in \(store)"))
    #expect(miss.stderr.contains("https://msdl.microsoft.com/download/symbols: skipped: offline"))
    let bad = try CrashsiftBinary.run(["symbols", "lookup", "--store", store, "a.pdb", "AB", "zz"])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("zz is not a hex RVA"))
  }
}

extension SymbolsCommandTests {
  @Test(
    "index lays PDBs, images and .sym files out as a store that lookup then serves",
    .requires(.corpus))
  func index() throws {
    let root = try Requirement.corpus.resolve()
    let scratch = TemporaryDirectory()
    let inputs = "\(scratch.path)/build"
    try FileManager.default.createDirectory(
      atPath: "\(inputs)/x64", withIntermediateDirectories: true)
    for name in ["tiny64.pdb", "tiny64.dll", "drv64.sys"] {
      try FileManager.default.copyItem(
        atPath: "\(root)/pdb/generated-lld/out/\(name)", toPath: "\(inputs)/x64/\(name)")
    }
    _ = FileManager.default.createFile(atPath: "\(inputs)/notes.txt", contents: Data("hello".utf8))
    let store = "\(scratch.path)/store"
    let first = try CrashsiftBinary.run(["symbols", "index", "--json", inputs, "--store", store])
    #expect(first.status == 0, "\(first.stderr)")
    let document =
      try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any]
    #expect(document?["schema"] as? String == "crashsift.symbols-index/1.0")
    let entries = document?["entries"] as? [[String: Any]]
    let counts = document?["counts"] as? [String: Int]
    #expect(counts == ["added": 3, "present": 0, "skipped": 1, "failed": 0])
    let keys = Set((entries ?? []).compactMap { $0["store_path"] as? String })
    #expect(
      keys == [
        "tiny64.pdb/080EE95D32E0099C4C4C44205044422E1/tiny64.pdb",
        "tiny64.dll/3FDF2AA85000/tiny64.dll", "drv64.sys/929BBD7B5000/drv64.sys",
      ])
    #expect(entries?.contains { $0["outcome"] as? String == "skipped" } == true)

    let lookup = try CrashsiftBinary.run([
      "symbols", "lookup", "--store", store, "tiny64.pdb", "080EE95D32E0099C4C4C44205044422E1",
      "0x1000",
    ])
    #expect(lookup.stdout.hasPrefix("0x1000\tleaf_function+0x0\tC:\\src\\tiny.c:10"))

    let again = try CrashsiftBinary.run(["symbols", "index", inputs, "--store", store])
    #expect(again.status == 0)
    #expect(again.stderr.contains("0 added, 3 already present, 1 skipped, 0 failed"))

    // A file claiming to be a PDB that is not one fails, and the run says so.
    _ = FileManager.default.createFile(
      atPath: "\(inputs)/broken.pdb",
      contents: Data(
        "Microsoft C/C++ MSF 7.00\r\n\u{1A}DS\0\0\0".utf8 + [UInt8](repeating: 0xFF, count: 64)))
    let broken = try CrashsiftBinary.run(["symbols", "index", inputs, "--store", store])
    #expect(broken.status == 1)
    #expect(broken.stdout.contains("failed"))
    #expect(!FileManager.default.fileExists(atPath: "\(store)/broken.pdb"))
  }
}

extension SymbolsCommandTests {
  @Test(
    "export writes a .sym (golden) that lookup then serves; undecorate names MSVC symbols",
    .requires(.corpus))
  func exportAndUndecorate() throws {
    let root = try Requirement.corpus.resolve()
    let out = "\(root)/pdb/generated-lld/out"
    let dir = TemporaryDirectory()
    let sym = dir.file("tiny64.sym")
    let export = try CrashsiftBinary.run([
      "symbols", "export", "\(out)/tiny64.pdb", "--pe", "\(out)/tiny64.dll", "-o", sym,
    ])
    #expect(export.status == 0, "\(export.stderr)")
    let text = try String(contentsOfFile: sym, encoding: .utf8)
    Golden.check(Golden.normalize(text, workspace: dir.path), against: "symbols-export-tiny64.sym")
    // Laid out as a Breakpad tree, the export answers lookups like the PDB.
    let id = "080EE95D32E0099C4C4C44205044422E1"
    let tree = dir.file("tree/tiny64.pdb/\(id)")
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: sym, toPath: "\(tree)/tiny64.sym")
    let viaSym = try CrashsiftBinary.run([
      "symbols", "lookup", "--store", dir.file("tree"), "tiny64.pdb", id, "0x1040",
    ])
    let viaPDB = try CrashsiftBinary.run([
      "symbols", "lookup", "--store", "\(out)/store", "tiny64.pdb", id, "0x1040",
    ])
    #expect(viaSym.status == 0 && viaPDB.status == 0)
    #expect(
      viaSym.stdout.split(separator: "\n").first == viaPDB.stdout.split(separator: "\n").first)

    let missing = try CrashsiftBinary.run(["symbols", "export", dir.file("none.pdb")])
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("none.pdb"))
    let notImage = try CrashsiftBinary.run(["symbols", "export", "--pe", sym])
    #expect(notImage.status == 1)
    #expect(notImage.stderr.contains("cannot read"))
    let nothing = try CrashsiftBinary.run(["symbols", "export"])
    #expect(nothing.status != 0)
    #expect(nothing.stderr.contains("--pe"))

    let undecorated = try CrashsiftBinary.run([
      "symbols", "undecorate", "?what@exception@std@@UEBAPEBDXZ",
      "??_GC@google_breakpad@@UAEPAXI@Z",
    ])
    #expect(undecorated.status == 0)
    #expect(
      undecorated.stdout
        == "public: virtual char const * __cdecl std::exception::what(void) const\npublic: virtual void * __thiscall google_breakpad::C::`scalar deleting dtor'(unsigned int)\n"
    )
    let names = try CrashsiftBinary.run([
      "symbols", "undecorate", "--name", "?what@exception@std@@UEBAPEBDXZ", "not_mangled",
    ])
    #expect(names.status == 1)
    #expect(names.stdout == "std::exception::what\nnot_mangled\n")
  }
}
