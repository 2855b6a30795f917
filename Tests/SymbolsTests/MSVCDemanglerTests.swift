import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

/// Undecoration of MSVC mangled names, against `llvm-undname` (LLVM 14, installed with the
/// oracles) on every decorated name of every corpus PDB, of the clang-cl coverage PDBs
/// (Tests/Fixtures/undname-coverage, built by scripts/build-undname-coverage.sh) and of a list
/// of manglings only MSVC produces.
@Suite("MSVC name undecoration")
struct MSVCDemanglerTests {
  /// llvm-14's undecorator (oracles/install.sh), the oracle for every name.
  static let undname = Requirement.tool("llvm-undname-14", "llvm-undname")

  /// The committed coverage PDBs: one x64 and one x86 build of coverage.cpp.
  static let coveragePDBs = ["x64", "x86"].map {
    "\(Corpus.packageRoot)/Tests/Fixtures/undname-coverage/coverage-\($0).pdb"
  }

  /// Encodings MSVC writes and clang-cl does not (or not into publics): iterators and closures
  /// of the runtime, `dynamic initializer` forms, vtordispex and adjustor thunk classes,
  /// `extern "C"` function encodings, anonymous namespaces, template-argument forms. Each was
  /// checked against llvm-undname when added, and the test checks it again.
  static let supplement = [
    "??__Fnomem@?5???2@YAPAXI@Z@YAXXZ",
    "??__E?value@?$Holder@H@@2HA@@YAXXZ",
    "??__F?value@?$Holder@H@@2HA@@YAXXZ",
    "?init@@$$J0YAXXZ",
    "??_H@YGXPAXIHP6EPAX0@Z@Z",
    "??_I@YGXPAXIHP6EX0@Z@Z",
    "??_L@YGXPAXIHP6EPAX0@Z1@Z",
    "??_M@YGXPAXIHP6EX0@Z@Z",
    "??_KFoo@@QAEXXZ",
    "??_OFoo@@QAEXAAV0@@Z",
    "??_SFoo@@6B@",
    "??_TFoo@@QAEXXZ",
    "??_JFoo@@QAEXXZ",
    "??_NFoo@@QAEXXZ",
    "??__AFoo@@QAEXXZ",
    "??__BFoo@@QAEXXZ",
    "??__CFoo@@QAEXXZ",
    "??__DFoo@@QAEXXZ",
    "??__GFoo@@QAEXXZ",
    "??__HFoo@@QAEXXZ",
    "??__IFoo@@QAEXXZ",
    "??__LFoo@@QAEXXZ",
    "??_8Diamond@@7BLeft@@@",
    "??_R17?0A@EA@Base@@8",
    "??_R0PAVtype_info@@@8",
    "?f@C@@$R4BA@7A@A@AEXXZ",
    "?f@C@@$2A@A@AEXXZ",
    "?f@C@@O7AEXXZ",
    "?f@C@@G7AEXXZ",
    "?x@@3PEIAHEIA",
    "?x@@3PEFAHEFA",
    "?f@@YAXP8C@@BEXXZ@Z",
    "?x@@3P8C@@AEXXZQ1@",
    "?x@@3PQC@@HQ1@",
    "?f@@YA?AV?$basic_string@DU?$char_traits@D@std@@V?$allocator@D@2@@std@@V12@0@Z",
    "?f@@YAXV?$pair@V?$basic_string@DU?$char_traits@D@std@@V?$allocator@D@2@@std@@V12@@std@@@Z",
    "??$?6N@std@@YAAAV?$basic_ostream@DU?$char_traits@D@std@@@0@AAV10@N@Z",
    "?f@?A0x12345678@@YAXXZ",
    "?f@?A0x12345678@N@@YAXXZ",
    "??0exception@std@@QAE@ABQBD@Z",
    "?g@@YA$$QAHXZ",
    "?f@@YIXHH@Z",
    "?f@@YQXN@Z",
    "?f@C@@QAIXH@Z",
    "?f@C@@QAQXM@Z",
    "??_B?1??f@@YAXXZ@51",
    "??__J?1??f@@YAXXZ@51",
    "?$TSS0@?1??f@@YAXXZ@4HA",
    "?f@@YAXPCX@Z",
    "?f@@YAXPDX@Z",
    "?f@@YAXV?$A@$$A6AXXZ@@@Z",
    "?f@@YAXV?$A@$$A8@@AEXXZ@@@Z",
    "?f@@YAXV?$A@$$Y?$B@H@@@@@Z",
    "?f@@YAXV?$A@$$V@@@Z",
    "?f@@YAXV?$A@$$$V@@@Z",
    "?f@@YAXV?$A@H$$Z@@@Z",
    "?f@@YAXV?$A@$E?x@@3HA@@@Z",
    "?f@@YAXV?$A@$I?f@C@@QAEXXZ3A@@@@Z",
    "?f@@YAXV?$A@$J?f@C@@QAEXXZ3A@A@@@@Z",
    "?f@@YAXV?$A@$FA@A@@@@Z",
    "?f@@YAXV?$A@$GA@A@A@@@@Z",
    "?x@@3PAY0A@HA",
  ]

  /// The decorated names of a PDB: `?…` publics and procedures, and apart from them the publics
  /// that only embed one behind a prefix (`__imp_?f@@YAXXZ`, `_CT??_R0H@84`, `_TI1H`), which
  /// are not MSVC mangled names and stay as the PDB has them, as llvm-undname leaves them.
  static func names(ofPDB path: String) throws -> (decorated: Set<String>, prefixed: Set<String>) {
    let pdb = try PDBFile(path: path)
    var decorated = Set<String>()
    var prefixed = Set<String>()
    for symbol in try pdb.publicSymbols() {
      if symbol.name.hasPrefix("?") {
        decorated.insert(symbol.name)
      } else if symbol.name.contains("?") {
        prefixed.insert(symbol.name)
      }
    }
    for module in try pdb.modules() {
      for procedure in try pdb.procedures(module) where procedure.name.hasPrefix("?") {
        decorated.insert(procedure.name)
      }
    }
    return (decorated, prefixed)
  }

  /// Every PDB under the corpus.
  static func corpusPDBs() throws -> [String] {
    let root = try Requirement.corpus.resolve()
    var paths: [String] = []
    let files = FileManager.default.enumerator(atPath: root)
    while let path = files?.nextObject() as? String {
      var isDirectory: ObjCBool = false
      let full = "\(root)/\(path)"
      guard path.lowercased().hasSuffix(".pdb"),
        FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory),
        !isDirectory.boolValue
      else { continue }
      paths.append(full)
    }
    return paths.sorted()
  }

  /// llvm-undname's output for each name; `""` where it gives up.
  static func llvmUndname(_ names: [String]) throws -> [String: String] {
    let undname = try Self.undname.resolve()
    let input = FileManager.default.temporaryDirectory.appendingPathComponent(
      "undname-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).txt")
    try (names.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: undname)
    process.standardInput = try FileHandle(forReadingFrom: input)
    process.standardError = FileHandle.nullDevice
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    // llvm-undname echoes each name, then its undecoration (empty when it fails), then a blank
    // line.
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
    return theirs
  }

  /// Why our declaration may differ from llvm-undname's, or `nil` when it must not.
  static func statedDifference(_ mangled: String, ours: String, theirs: String) -> String? {
    if mangled.hasPrefix("??_C@_"), ours == "`string'",
      ["\"", "L\"", "u\"", "U\""].contains(where: { theirs.hasPrefix($0) })
    {
      return "string literals: `string' as WinDbg and DIA name them; llvm-undname decodes the text"
    }
    if theirs.isEmpty, mangled.contains("$M") {
      return "auto template parameters ($M, MSVC since VS 2019): llvm-undname reads them "
        + "from LLVM 19 on, not 14"
    }
    if mangled.contains("?__K") {
      return "literal operators: clang and MSVC count the suffix as a backreferenced name, "
        + "llvm-undname does not and misreads the names after it"
    }
    if ours.contains("__regcall"), ours.replacingOccurrences(of: "__regcall ", with: "") == theirs {
      return "__regcall (clang's `w`): llvm-undname leaves the convention unnamed"
    }
    return nil
  }

  /// The comparison of a set of names with llvm-undname.
  struct Comparison: CustomStringConvertible {
    var total = 0
    var agreeing = 0
    var differing: [String: Int] = [:]
    var leftDecorated: [String] = []
    var unexplained: [String] = []
    var prefixed = 0

    var description: String {
      var lines = [
        "\(total) decorated names: \(agreeing) as llvm-undname prints them, "
          + "\(differing.values.reduce(0, +)) differ for a stated reason, "
          + "\(unexplained.count) differ otherwise, \(leftDecorated.count) left decorated"
      ]
      for (reason, count) in differing.sorted(by: { $0.key < $1.key }) {
        lines.append("  \(count): \(reason)")
      }
      if prefixed > 0 {
        lines.append(
          "  (\(prefixed) prefixed publics such as __imp_?… and _CT??_R0…, not mangled names, "
            + "kept as the PDB has them, as llvm-undname keeps them)")
      }
      return lines.joined(separator: "\n")
    }
  }

  static func compare(_ names: [String], prefixed: Int) throws -> Comparison {
    let theirs = try llvmUndname(names)
    var comparison = Comparison(total: names.count, prefixed: prefixed)
    for name in names {
      guard let ours = MSVCDemangler.demangle(name) else {
        comparison.leftDecorated.append(name)
        continue
      }
      let expected = theirs[name] ?? ""
      if ours.text == expected {
        comparison.agreeing += 1
      } else if let reason = statedDifference(name, ours: ours.text, theirs: expected) {
        comparison.differing[reason, default: 0] += 1
      } else {
        comparison.unexplained.append("\(name)\n  ours:   \(ours.text)\n  theirs: \(expected)")
      }
    }
    return comparison
  }

  static func check(_ comparison: Comparison) {
    print("MSVC undecoration against llvm-undname: \(comparison)")
    #expect(comparison.leftDecorated.isEmpty, "\(comparison.leftDecorated)")
    #expect(
      comparison.unexplained.isEmpty, "\(comparison.unexplained.joined(separator: "\n"))")
  }

  @Test(
    "the clang-cl coverage PDBs and MSVC-only manglings: all undecorated, as llvm-undname does",
    .requires(MSVCDemanglerTests.undname))
  func coverage() throws {
    var names = Set(Self.supplement)
    var prefixed = Set<String>()
    for path in Self.coveragePDBs {
      let found = try Self.names(ofPDB: path)
      #expect(found.decorated.count > 550, "\(path)")
      names.formUnion(found.decorated)
      prefixed.formUnion(found.prefixed)
    }
    let comparison = try Self.compare(names.sorted(), prefixed: prefixed.count)
    Self.check(comparison)
    #expect(comparison.total > 1200)
    #expect(comparison.agreeing > 1150)
  }

  @Test(
    "every decorated name in the corpus and coverage PDBs undecorates as llvm-undname does",
    .requires(.corpus, MSVCDemanglerTests.undname))
  func differential() throws {
    var corpus = Set<String>()
    var prefixed = Set<String>()
    for path in try Self.corpusPDBs() {
      guard let found = try? Self.names(ofPDB: path) else { continue }
      corpus.formUnion(found.decorated)
      prefixed.formUnion(found.prefixed)
    }
    #expect(corpus.count > 900)
    let corpusComparison = try Self.compare(corpus.sorted(), prefixed: prefixed.count)
    print("Corpus PDBs only:")
    Self.check(corpusComparison)
    #expect(corpusComparison.differing.count == 1)  // string literals alone
    var all = corpus.union(Self.supplement)
    for path in Self.coveragePDBs {
      let found = try Self.names(ofPDB: path)
      all.formUnion(found.decorated)
      prefixed.formUnion(found.prefixed)
    }
    print("Corpus and coverage PDBs, and the MSVC-only list:")
    Self.check(try Self.compare(all.sorted(), prefixed: prefixed.count))
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
      ("??_7Multi@cls@@6BLeft@1@@", "cls::Multi::`vftable'{for `cls::Left'}"),
      // A function that scopes a name is shown by its name, as DIA names such procedures
      // (`` `type_info::_Type_info_dtor'::`1'::fin$0 `` in breakpad's test_app.sym).
      (
        "?_OptionsStorage@?1??__local_stdio_printf_options@@9@4_KA",
        "`__local_stdio_printf_options'::`2'::_OptionsStorage"
      ),
      (
        "??R<lambda_1>@?0??lambdas@local@@YAHH@Z@QEBA?A?<auto>@@H@Z",
        "`local::lambdas'::`1'::<lambda_1>::operator()"
      ),
      // Initializers keep the variable's scopes outside, as DIA names them in test_app.sym.
      (
        "??__Fnomem@?5???2@YAPAXI@Z@YAXXZ",
        "`operator new'::`6'::`dynamic atexit destructor for 'nomem''"
      ),
      ("??__E?value@?$Holder@H@@2HA@@YAXXZ", "Holder<int>::`dynamic initializer for 'value''"),
      ("??__Einline_obj@local@@YAXXZ", "local::`dynamic initializer for 'inline_obj''"),
      ("?both@Multi@cls@@WBA@EAAXXZ", "[thunk]:cls::Multi::both`adjustor{16}'"),
      ("?vb@Diamond@cls@@$4PPPPPPPM@A@EAAXXZ", "[thunk]:cls::Diamond::vb`vtordisp{-4, 0}'"),
      ("??BNum@cls@@QEBAHXZ", "cls::Num::operator int"),
      ("??_H@YGXPAXIHP6EPAX0@Z@Z", "`vector constructor iterator'"),
      ("?$TSS0@?1??singleton@local@@YAAEAUObj@2@XZ@4HA", "`local::singleton'::`2'::$TSS0"),
      ("??@b61684c1b0453c4d3bd887dbef6d9cc6@", "??@b61684c1b0453c4d3bd887dbef6d9cc6@"),
    ]
    for (mangled, name) in cases {
      #expect(MSVCDemangler.demangle(mangled)?.name == name, "\(mangled)")
    }
    #expect(MSVCDemangler.demangle("main") == nil)
    #expect(MSVCDemangler.demangle("_RtlUnwind@16") == nil)
    #expect(MSVCDemangler.demangle("__imp_?f@@YAXXZ") == nil)
  }

  @Test("DIA-style signatures for breakpad's FUNC records")
  func signatures() {
    let cases: [(String, String?)] = [
      ("?h@C@google_breakpad@@QAEXABV12@@Z", "google_breakpad::C::h(google_breakpad::C const &)"),
      ("?ref@arrays@@YAXAEAY02H@Z", "arrays::ref(int (&)[3])"),
      ("?f@@YAXHZZ", "f(int, ...)"),
      ("?f@@YAXXZ", "f()"),
      ("?x@@3HA", nil),
    ]
    for (mangled, signature) in cases {
      #expect(MSVCDemangler.demangle(mangled)?.signature == signature, "\(mangled)")
    }
  }

  @Test("hostile names: truncations, deep nesting, bad backreferences, random bytes: nil, no trap")
  func hostile() throws {
    var samples = [
      "??$_Buynode@ABUAppMemory@google_breakpad@@@?$_List_buy@UAppMemory@google_breakpad@@V?$allocator@UAppMemory@google_breakpad@@@std@@@std@@QAEPAU?$_List_node@UAppMemory@google_breakpad@@PAX@1@PAU21@0ABUAppMemory@google_breakpad@@@Z",
      "?m_pGetParameter@UnDecorator@@0P6APEADJ@ZEA",
      "?_OptionsStorage@?1??__local_stdio_printf_options@@9@4_KA",
      "?fnptr_array@arrays@@YAXAEAY01P6AXH@Z@Z",
      "?ret_fn_ptr@arrays@@YAP6APEAY03HH@ZXZ",
      "?func@memptr@@YAXP8S@1@EAAXXZP821@EBAHH@ZQ821@EAAXXZ@Z",
      "?get@?$VIFuncArg@$I?fv@VI@memptr@@QEAAXXZA@A@@memptr@@SAXXZ",
      "?get@?$Auto@$MPEAH1?gvar@tmpl@@3HA@tmpl@@SAXXZ",
      "??R<lambda_1>@?0???R<lambda_3>@?0??lambdas@local@@YAHH@Z@QEBA?A?<auto>@@XZ@QEBA?A?4@D@Z",
      "??_EDiamond@cls@@$4PPPPPPPM@A@EAAPEAXI@Z",
      "?f@C@@$R4BA@7A@A@AEXXZ",
      "??__E?value@?$Holder@H@@2HA@@YAXXZ",
      "??_R4Multi@cls@@6BLeft@1@@",
      "??_C@_1BA@KFOBIOMM@?$AAT?$AAE?$AAS?$AAT?$AA?$AA@",
    ]
    // Every name of the x86 coverage PDB too (one in seven, to keep the debug build quick).
    let coverage = try Self.names(ofPDB: Self.coveragePDBs[1]).decorated.sorted()
    samples += coverage.enumerated().filter { $0.offset % 7 == 0 }.map(\.element)
    for sample in samples {
      let bytes = Array(sample.utf8)
      for length in 0..<bytes.count {
        _ = MSVCDemangler.demangle(String(decoding: bytes[0..<length], as: UTF8.self))
      }
      #expect(MSVCDemangler.demangle(sample) != nil, "\(sample)")
    }
    // Nesting past the limit: template inside template inside …
    let deep = "?f@" + String(repeating: "?$a@V", count: 200) + "@@YAXXZ"
    #expect(MSVCDemangler.demangle(deep) == nil)
    let pointers = "?x@@3" + String(repeating: "PA", count: 500) + "HA"
    #expect(MSVCDemangler.demangle(pointers) == nil)
    let functions = "?f@@YAX" + String(repeating: "P6AX", count: 200) + "@Z"
    #expect(MSVCDemangler.demangle(functions) == nil)
    let scopes = "?x@" + String(repeating: "?1??x@", count: 100) + "@YAXXZ@4HA"
    #expect(MSVCDemangler.demangle(scopes) == nil)
    let arrays = "?x@@3" + String(repeating: "PAY00", count: 100) + "HA"
    #expect(MSVCDemangler.demangle(arrays) == nil)
    #expect(MSVCDemangler.demangle("?f@@YAX9@Z") == nil)  // backreference to nothing
    #expect(MSVCDemangler.demangle("?f@@YAXP6AX0@Z@Z") == nil)  // inside a function type too
    // Arrays: a rank past 64, a huge rank, a negative dimension, a member rank, no element.
    #expect(
      MSVCDemangler.demangle("?f@@YAXPAYEB@" + String(repeating: "0", count: 65) + "H@Z") == nil)
    #expect(MSVCDemangler.demangle("?f@@YAXPAYPPPPPPPPPPPPPPPP@H@Z") == nil)
    #expect(MSVCDemangler.demangle("?f@@YAXPAY0?0H@Z") == nil)
    #expect(MSVCDemangler.demangle("?f@@YAXPAY01$$CQH@Z") == nil)
    #expect(MSVCDemangler.demangle("?f@@YAXPAY01@Z") == nil)
    // Numbers past 64 bits, offsets past Int64, and 32-bit thunk offsets that wrap.
    #expect(MSVCDemangler.demangle("?f@?$A@$0BAAAAAAAAAAAAAAAA@@@YAXXZ") == nil)
    #expect(MSVCDemangler.demangle("?f@C@@$4PPPPPPPPPPPPPPPP@A@AEXXZ") == nil)
    #expect(
      MSVCDemangler.demangle("?f@C@@$4HPPPPPPPPPPPPPPP@A@AEXXZ")?.text
        == "[thunk]: public: virtual void __thiscall C::f`vtordisp{-1, 0}'(void)")
    // Member pointer template arguments missing their offsets, `auto` with no value, a symbol
    // that is no name, RTTI without its terminator, a vcall thunk without `$B`, an initializer
    // of nothing, an unterminated MD5 name, literals that run on or are odd-sized.
    for broken in [
      "?f@@YAXV?$A@$J?f@C@@QAEXXZ3A@@@@Z", "?f@@YAXV?$A@$GA@A@@@@Z", "?f@@YAXV?$A@$MH@@@Z",
      "?f@@YAXV?$A@$1??_C@_01A@?$AA@@@@Z", "??_R0?AVtype_info@@@", "??_9S@@AA",
      "??__E?x@@YAXXZ", "??@0123", "??_C@_0BB@GBIHCBEH@bad", "??_C@_13A@?$AAab@",
      "??_C@_0CA@A@" + String(repeating: "a", count: 200) + "@", "?x@@3_OBHA",
      "??BC@@3HA", "??0@YAXXZ", "??_7C@@8B@",
    ] {
      #expect(MSVCDemangler.demangle(broken) == nil, "\(broken)")
    }
    // Templates whose arguments repeat the previous one by backreference double their text at
    // every level: 40 levels of a 300-byte name would be terabytes; refused past the cap.
    var nested = "V?$A@H@@"
    for level in 0..<40 { nested = "V?$B\(level)@\(nested)V1@@@" }
    #expect(MSVCDemangler.demangle("?f@@YAX" + nested + "@Z") == nil)
    var shallow = "V?$A@H@@"
    for level in 0..<4 { shallow = "V?$B\(level)@\(shallow)V1@@@" }
    #expect(MSVCDemangler.demangle("?f@@YAX" + shallow + "@Z")?.text.contains("B3<") == true)
    // Function parameters that repeat earlier ones double the same way.
    var doubling = "?f@@YAXV?$A@H@@"
    for level in 0..<9 { doubling += "P6AX\(level)\(level)@Z" }
    #expect(MSVCDemangler.demangle(doubling + "@Z") == nil)
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
