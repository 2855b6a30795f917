import CrashsiftTestSupport
import Foundation
import Testing

@Suite("crashsift symbols")
struct SymbolsCommandTests {
  @Test("lookup names RVAs from a symbol store (text golden, JSON), and explains a miss")
  func lookup() throws {
    guard let root = Corpus.root else {
      #expect(!Tools.isCI, "the fixture corpus is required on CI")
      return
    }
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
    let answers = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    #expect(answers?.count == 5)
    #expect(answers?.first?["function"] as? String == "leaf_function")
    #expect(answers?.first?["line"] as? Int == 10)

    let miss = try CrashsiftBinary.run([
      "symbols", "lookup", "--store", "srv*\(store)*https://msdl.microsoft.com/download/symbols",
      "ntkrnlmp.pdb", "3844DBB920174967BE7AA4A2C20430FA2", "0x1000",
    ])
    #expect(miss.status == 1)
    #expect(miss.stderr.contains("no ntkrnlmp.pdb/3844DBB920174967BE7AA4A2C20430FA2 in \(store)"))
    #expect(miss.stderr.contains("works offline"))
    let bad = try CrashsiftBinary.run(["symbols", "lookup", "--store", store, "a.pdb", "AB", "zz"])
    #expect(bad.status != 0)
    #expect(bad.stderr.contains("zz is not a hex RVA"))
  }
}
