import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

/// Undecoration of MSVC mangled names, against `llvm-undname` (LLVM 14, installed with the
/// oracles) on every decorated public of every PDB in the corpus.
@Suite("MSVC name undecoration")
struct MSVCDemanglerTests {
  /// Every distinct `?…` public name in the corpus PDBs, read by our PDB reader.
  /// llvm-14's undecorator (oracles/install.sh), the oracle for every corpus name.
  static let undname = Requirement.tool("llvm-undname-14", "llvm-undname")

  static func corpusNames() throws -> [String] {
    let root = try Requirement.corpus.resolve()
    var names = Set<String>()
    let files = FileManager.default.enumerator(atPath: root)
    while let path = files?.nextObject() as? String {
      guard path.lowercased().hasSuffix(".pdb") else { continue }
      guard let pdb = try? PDBFile(path: "\(root)/\(path)") else { continue }
      for symbol in (try? pdb.publicSymbols()) ?? [] where symbol.name.hasPrefix("?") {
        names.insert(symbol.name)
      }
    }
    return names.sorted()
  }

  @Test(
    "every decorated public in the corpus undecorates as llvm-undname does",
    .requires(.corpus, MSVCDemanglerTests.undname))
  func differential() throws {
    let names = try Self.corpusNames()
    #expect(names.count > 900)
    let undname = try Self.undname.resolve()
    let input = FileManager.default.temporaryDirectory.appendingPathComponent(
      "undname-\(ProcessInfo.processInfo.processIdentifier).txt")
    try (names.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: undname)
    process.standardInput = try FileHandle(forReadingFrom: input)
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    // llvm-undname echoes each name, then its undecoration, then a blank line.
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var theirs: [String: String] = [:]
    var index = 0
    while index + 1 < lines.count {
      if !lines[index].isEmpty {
        theirs[lines[index]] = lines[index + 1]
        index += 2
      } else {
        index += 1
      }
    }
    var compared = 0
    var literals = 0
    for name in names {
      let ours = MSVCDemangler.demangle(name)
      guard let expected = theirs[name] else {
        Issue.record("llvm-undname gave nothing for \(name)")
        continue
      }
      if name.hasPrefix("??_C@_") {
        // String literals: WinDbg and DIA say `string'; llvm-undname decodes the text.
        #expect(ours?.text == "`string'", "\(name)")
        #expect(
          expected.hasPrefix("\"") || expected.hasPrefix("L\"") || expected.hasPrefix("u\""),
          "\(name): \(expected)")
        literals += 1
        continue
      }
      #expect(ours?.text == expected, "\(name)")
      compared += 1
    }
    #expect(compared > 150)
    #expect(literals > 800)
  }

  @Test("the WinDbg-style name: qualified name only, generated names spelled out")
  func windbgNames() {
    let cases: [(String, String)] = [
      ("?what@exception@std@@UEBAPEBDXZ", "std::exception::what"),
      ("??_GC@google_breakpad@@UAEPAXI@Z", "google_breakpad::C::`scalar deleting destructor'"),
      ("??_EC@google_breakpad@@UEAAPEAXI@Z", "google_breakpad::C::`vector deleting destructor'"),
      ("??0C@google_breakpad@@QEAA@XZ", "google_breakpad::C::C"),
      (
        "??1?$scoped_ptr@VCrashGenerationClient@google_breakpad@@@google_breakpad@@QAE@XZ",
        "google_breakpad::scoped_ptr<class google_breakpad::CrashGenerationClient>::~scoped_ptr<class google_breakpad::CrashGenerationClient>"
      ),
      ("??2@YAPEAX_K@Z", "operator new"),
      ("?_pnhHeap@@3P6AHI@ZA", "_pnhHeap"),
      ("??_C@_0BB@GBIHCBEH@bad?5allocation?$AA@", "`string'"),
      ("??_7type_info@@6B@", "type_info::`vftable'"),
    ]
    for (mangled, name) in cases {
      #expect(MSVCDemangler.demangle(mangled)?.name == name, "\(mangled)")
    }
    #expect(MSVCDemangler.demangle("main") == nil)
    #expect(MSVCDemangler.demangle("_RtlUnwind@16") == nil)
  }

  @Test("hostile names: truncations, deep nesting, bad backreferences, random bytes: nil, no trap")
  func hostile() {
    let samples = [
      "??$_Buynode@ABUAppMemory@google_breakpad@@@?$_List_buy@UAppMemory@google_breakpad@@V?$allocator@UAppMemory@google_breakpad@@@std@@@std@@QAEPAU?$_List_node@UAppMemory@google_breakpad@@PAX@1@PAU21@0ABUAppMemory@google_breakpad@@@Z",
      "?m_pGetParameter@UnDecorator@@0P6APEADJ@ZEA",
      "?_OptionsStorage@?1??__local_stdio_printf_options@@9@4_KA",
    ]
    for sample in samples {
      let bytes = Array(sample.utf8)
      for length in 0..<bytes.count {
        _ = MSVCDemangler.demangle(String(decoding: bytes[0..<length], as: UTF8.self))
      }
      #expect(MSVCDemangler.demangle(sample) != nil)
    }
    // Nesting past the limit: template inside template inside …
    let deep = "?f@" + String(repeating: "?$a@V", count: 200) + "@@YAXXZ"
    #expect(MSVCDemangler.demangle(deep) == nil)
    let pointers = "?x@@3" + String(repeating: "PA", count: 500) + "HA"
    #expect(MSVCDemangler.demangle(pointers) == nil)
    #expect(MSVCDemangler.demangle("?f@@YAX9@Z") == nil)  // backreference to nothing
    // Templates whose arguments repeat the previous one by backreference double their text at
    // every level: 40 levels of a 250-byte name would be terabytes; refused past the cap.
    var nested = "V?$A@H@@"
    for level in 0..<40 { nested = "V?$B\(level)@\(nested)0@@" }
    #expect(MSVCDemangler.demangle("?f@@YAX" + nested + "@Z") == nil)
    var shallow = "V?$A@H@@"
    for level in 0..<4 { shallow = "V?$B\(level)@\(shallow)0@@" }
    #expect(MSVCDemangler.demangle("?f@@YAX" + shallow + "@Z")?.text.contains("B3<") == true)
    #expect(MSVCDemangler.demangle("?f@" + String(repeating: "x", count: 5000) + "@@YAXXZ") == nil)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<5000 {
      var text = "?"
      for _ in 0..<24 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        let alphabet = Array("?@$0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc".utf8)
        text.append(Character(UnicodeScalar(alphabet[Int(state % UInt64(alphabet.count))])))
      }
      _ = MSVCDemangler.demangle(text)
    }
  }
}
