import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

@Suite("PDB functions and lines")
struct PDBFunctionsTests {
  /// One llvm-symbolizer answer: the outermost frame (the procedure that owns the address) and
  /// the inlined frames, innermost first, as `name file:line`.
  struct Answer {
    var address: UInt32
    var function: String
    var file: String
    var line: UInt32
    var inlines: [String]
  }

  static func symbolizerAnswers(_ path: String) throws -> [Answer] {
    var answers: [Answer] = []
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for line in text.split(whereSeparator: \.isNewline) {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      guard let address = object?["Address"] as? String,
        let value = UInt32(address.dropFirst(2), radix: 16),
        let frames = object?["Symbol"] as? [[String: Any]], let outer = frames.last
      else { continue }
      let inner = frames.dropLast().map {
        "\($0["FunctionName"] as? String ?? "") \($0["FileName"] as? String ?? ""):\($0["Line"] as? Int ?? 0)"
      }
      answers.append(
        Answer(
          address: value, function: outer["FunctionName"] as? String ?? "",
          file: outer["FileName"] as? String ?? "", line: UInt32(outer["Line"] as? Int ?? 0),
          inlines: inner))
    }
    return answers
  }

  /// RVAs where the PDB holds a zero-length line entry followed by another at the same offset:
  /// llvm-symbolizer answers with the first there, we with the second (reference §9.1).
  static func zeroLengthStarts(_ pdb: PDBFile) throws -> [UInt32: UInt32] {
    var result: [UInt32: UInt32] = [:]
    let names = try pdb.namesTable()
    for module in try pdb.modules() {
      for block in try pdb.lineBlocks(module, names: names) {
        for index in block.entries.indices.dropLast()
        where block.entries[index].offset == block.entries[index + 1].offset {
          if let rva = pdb.rva(
            segment: block.segment, offset: block.offset + block.entries[index].offset)
          {
            result[rva] = block.entries[index].line
          }
        }
      }
    }
    return result
  }

  @Test(
    "lld PDBs: every address llvm-symbolizer answered resolves to its procedure, file and line",
    .requires(.corpus), arguments: PDBPublicsTests.lldImages)
  func lld(name: String) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/generated-lld/out"
    let pdb = try PDBFile(path: "\(dir)/\(name).pdb")
    let table = try PDBSymbolTable.read(pdb)
    #expect(!table.functions.isEmpty)
    let zeroLength = try Self.zeroLengthStarts(pdb)
    let answers = try Self.symbolizerAnswers("\(dir)/\(name).symbolizer.jsonl")
    #expect(answers.count > 50)
    var compared = 0
    var inlinedFrames = 0
    for answer in answers {
      let hit = table.lookup(answer.address)
      let label = "\(name) 0x\(String(answer.address, radix: 16))"
      guard answer.function != "<invalid>" else {
        #expect(
          hit == nil || hit?.isPublic == true,
          "\(label): llvm found nothing, we found \(String(describing: hit))")
        continue
      }
      // Padding after a procedure: llvm names the nearest public at or below without a line. We
      // do too, except when a procedure without a public (a static function) lies in between:
      // there Breakpad's rule answers nothing rather than blame an unrelated function.
      if answer.file.isEmpty && answer.line == 0 {
        if let hit {
          #expect(hit.isPublic && hit.name == answer.function && hit.line == nil, "\(label)")
        } else {
          let publicRVA = table.publics.last {
            $0.name == answer.function && $0.rva <= answer.address
          }?.rva
          let between = table.functions.contains { function in
            function.rva > (publicRVA ?? 0) && function.rva <= answer.address
              && !table.publics.contains { $0.rva == function.rva }
          }
          #expect(publicRVA != nil && between, "\(label): expected \(answer.function)")
        }
        compared += 1
        continue
      }
      guard let hit else {
        Issue.record("\(label): expected \(answer.function)")
        continue
      }
      #expect(hit.name == answer.function, "\(label)")
      #expect(!hit.isPublic, "\(label)")
      #expect(
        hit.inlines.map { "\($0.name) \($0.file ?? ""):\($0.line)" } == answer.inlines, "\(label)")
      inlinedFrames += hit.inlines.count
      #expect(hit.file == answer.file, "\(label)")
      if hit.line != answer.line {
        #expect(
          zeroLength[answer.address] == answer.line,
          "\(label): line \(String(describing: hit.line)) vs \(answer.line)")
      }
      compared += 1
    }
    #expect(compared > 50)
    // Every lld image but the driver inlines `inlined_twice` into `exported_entry`.
    #expect((inlinedFrames > 0) == (name != "drv64"))
  }
}

extension PDBFunctionsTests {
  @Test(
    "MSVC PDBs: functions and lines equal the .sym files dump_syms wrote for them",
    .requires(.corpus),
    arguments: [
      ("breakpad/dump_syms_regtest64.pdb", "mozilla-dump_syms/dump_syms_regtest64.sym"),
      ("getsentry-symbolic/crash.pdb", "getsentry-symbolic/crash.sym"),
      (
        "getsentry-symbolic/CrashWithException.pdb", "getsentry-symbolic/CrashWithException.pdb.sym"
      ),
    ])
  func msvc(pdbPath: String, symPath: String) throws {
    let root = try Requirement.corpus.resolve()
    let table = try PDBSymbolTable.read(
      try PDBFile(path: "\(root)/pdb/\(pdbPath)"))
    let sym = try BreakpadSymbolReader.read(path: "\(root)/pdb/\(symPath)")
    #expect(table.debugID == sym.debugID)
    #expect(sym.functions.count > 50)
    var ours: [UInt32: SymbolTable.Function] = [:]
    for function in table.functions { ours[function.rva] = function }
    // Addresses where identical-code folding left several procedures: DIA pairs one's name with
    // another module's lines there; we keep each procedure's own lines. Only names are compared.
    let pdb = try PDBFile(path: "\(root)/pdb/\(pdbPath)")
    var procedureCounts: [UInt32: Int] = [:]
    for module in try pdb.modules() {
      for procedure in try pdb.procedures(module) {
        if let rva = pdb.rva(segment: procedure.segment, offset: procedure.offset) {
          procedureCounts[rva, default: 0] += 1
        }
      }
    }
    var checkedLines = 0
    for function in sym.functions {
      let label = "FUNC \(String(function.rva, radix: 16)) \(function.name)"
      guard let mine = ours[function.rva] else {
        Issue.record("\(label): no procedure at this address")
        continue
      }
      #expect(mine.size == function.size, "\(label)")
      // dump_syms prints the signature from the type stream (and DIA drops the x86 C prefix
      // `_`); S_*PROC32 holds the bare, decorated name.
      #expect(
        function.name.contains(mine.name)
          || (mine.name.hasPrefix("_") && function.name.contains(mine.name.dropFirst())),
        "\(label) vs \(mine.name)")
      // Breakpad's DIA dump_syms writes zero-length records before the real one at an address
      // (reference §9.1); a .sym lookup never lands on them.
      guard procedureCounts[function.rva] == 1 else { continue }
      for line in sym.lines[function.linesStart..<(function.linesStart + function.linesCount)]
      where line.size > 0 {
        let hit = table.lookup(line.rva)
        #expect(hit?.line == line.line, "\(label) line at \(String(line.rva, radix: 16))")
        #expect(
          hit?.file == sym.files[line.file], "\(label) file at \(String(line.rva, radix: 16))")
        checkedLines += 1
      }
    }
    #expect(checkedLines > 200)
  }
}

extension PDBFunctionsTests {
  @Test(
    "a Microsoft symbol-store tree serves PDBs by debug id; a misfiled PDB is refused",
    .requires(.corpus))
  func symbolStore() throws {
    let root = try Requirement.corpus.resolve()
    let tree = SymbolTree(root: "\(root)/pdb/generated-lld/out/store")
    // Lower-case id and file: Windows-made stores vary in case.
    let table = try tree.table(
      debugFile: "C:\\build\\TINY64.pdb", debugID: "080ee95d32e0099c4c4c44205044422e1"
    ).get()
    let hit = try #require(table.lookup(0x1000))
    #expect(hit.name == "leaf_function" && hit.line == 10 && hit.file == "C:\\src\\tiny.c")

    let scratch = TemporaryDirectory()
    let wrong = "\(scratch.path)/tiny64.pdb/00000000000000000000000000000000A"
    try FileManager.default.createDirectory(atPath: wrong, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: "\(root)/pdb/generated-lld/out/tiny64.pdb", toPath: "\(wrong)/tiny64.pdb")
    let misfiled = SymbolTree(root: scratch.path).table(
      debugFile: "tiny64.pdb", debugID: "00000000000000000000000000000000A")
    guard case .failure(let error) = misfiled else {
      Issue.record("a PDB under another debug id must be refused")
      return
    }
    #expect(error.description.contains("080EE95D32E0099C4C4C44205044422E1"))
    guard case .failure(let missing) = tree.table(debugFile: "absent.pdb", debugID: "AB") else {
      Issue.record("a missing module must be an error")
      return
    }
    #expect(missing.description.contains("absent.pdb/AB"))
  }
}

extension PDBFunctionsTests {
  @Test(
    "MSVC inline sites: crash.pdb 0x2a3d is crash inlined into start inlined into main",
    .requires(.corpus))
  func msvcInlines() throws {
    let root = try Requirement.corpus.resolve()
    let table = try PDBSymbolTable.read(
      try PDBFile(path: "\(root)/pdb/getsentry-symbolic/crash.pdb"))
    let hit = try #require(table.lookup(0x2A3D))
    // llvm-symbolizer (reference §6.3) and symbolic's test_objects.rs agree on this chain; the
    // anonymous namespace keeps its mangled `?A0x…` scope, as llvm prints it.
    #expect(hit.name == "main" && hit.line == 35)
    #expect(hit.inlines.map(\.name) == ["?A0xc3a0617d::crash", "?A0xc3a0617d::start"])
    #expect(hit.inlines.map(\.line) == [24, 28])
    #expect(hit.inlines.allSatisfy { $0.file?.hasSuffix("main.cpp") == true })
  }
}
