import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

@Suite("PDB publics")
struct PDBPublicsTests {
  /// The lld-linked images of `corpus/pdb/generated-lld` (x64, x86, ARM64, 8 KiB blocks, driver).
  static let lldImages = ["tiny64", "tiny32", "tinya64", "tiny64p8k", "drv64"]

  /// `name → (segment, offset)` from the "Public Symbols" block of llvm-pdbutil's dump.
  static func pdbutilPublics(_ text: String) -> [String: (UInt16, UInt32)] {
    var result: [String: (UInt16, UInt32)] = [:]
    var inPublics = false
    var pending: String?
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line == "Public Symbols" { inPublics = true }
      if line == "Symbols" { inPublics = false }
      guard inPublics else { continue }
      if line.contains("S_PUB32"), let open = line.firstIndex(of: "`"),
        let close = line.lastIndex(of: "`"), open < close
      {
        pending = String(line[line.index(after: open)..<close])
      } else if let name = pending, let range = line.range(of: "addr = ") {
        let parts = line[range.upperBound...].split(separator: ":")
        if parts.count == 2, let segment = UInt16(parts[0]), let offset = UInt32(parts[1]) {
          result[name] = (segment, offset)
        }
        pending = nil
      }
    }
    return result
  }

  @Test(
    "lld PDBs: every public equals llvm-pdbutil's, and RVAs follow the section headers",
    .requires(.corpus), arguments: lldImages)
  func lld(name: String) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/generated-lld/out"
    let pdb = try PDBFile(path: "\(dir)/\(name).pdb")
    let ours = try pdb.publicSymbols()
    let theirs = Self.pdbutilPublics(
      try String(contentsOfFile: "\(dir)/\(name).pdbutil.txt", encoding: .utf8))
    #expect(ours.count == theirs.count)
    for symbol in ours {
      let expected = try #require(theirs[symbol.name], "\(symbol.name)")
      #expect(expected.0 == symbol.segment && expected.1 == symbol.offset, "\(symbol.name)")
    }
    if name == "tiny64" {
      let table = try PDBSymbolTable.read(pdb)
      let rvas = Dictionary(
        table.publics.map { ($0.name, $0.rva) }, uniquingKeysWith: { a, _ in a })
      #expect(rvas["leaf_function"] == 0x1000)
      #expect(rvas["middle_function"] == 0x1022)
      #expect(rvas["exported_entry"] == 0x1035)
      #expect(rvas["DllMainCRTStartup"] == 0x104D)
      #expect(rvas["global_counter"] == 0x3000)
    }
  }

  @Test(
    "amdppm.pdb (stripped, publics only) resolves 0x334c to WriteIoMemRawEx+0x70; its store key",
    .requires(.corpus))
  func amdppm() throws {
    let root = try Requirement.corpus.resolve()
    let pdb = try PDBFile(
      path: "\(root)/kernel/symbols/amdppm.pdb/1C19FDDB27BB3399D9B45973EFEAFCF31/amdppm.pdb")
    #expect(pdb.debugIdentifier == "1C19FDDB27BB3399D9B45973EFEAFCF31")
    let table = try PDBSymbolTable.read(pdb)
    let hit = try #require(table.lookup(0x334C))
    #expect(hit.name == "WriteIoMemRawEx")
    #expect(hit.isPublic)
    #expect(0x334C - hit.symbolRVA == 0x70)
  }

  /// PUBLIC records in each OMAP fixture's .sym (breakpad's dump_syms output).
  static let omapPublics = [
    "omap_reorder_funcs": 4, "omap_reorder_bbs": 4, "omap_stretched": 4,
    "omap_stretched_filled": 4,
  ]
  /// FUNC records of omap_reorder_funcs.sym with a plain C name that one public of ours carries.
  static let omapReorderedFunctions = 123

  @Test(
    "OMAP: reordered images map publics to the addresses breakpad's .sym gives them",
    .requires(.corpus),
    arguments: [
      "omap_reorder_funcs", "omap_reorder_bbs", "omap_stretched", "omap_stretched_filled",
    ])
  func omap(name: String) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/breakpad"
    let table = try PDBSymbolTable.read(try PDBFile(path: "\(dir)/\(name).pdb"))
    let sym = try BreakpadSymbolReader.read(path: "\(dir)/\(name).sym")
    #expect(sym.debugID == table.debugID)
    // breakpad's .sym keeps x86-decorated names for its PUBLIC records and undecorated C names
    // for FUNC records; S_PUB32 names are decorated (`_main`, `_RtlUnwind@16`).
    var ours: [String: [UInt32]] = [:]
    for symbol in table.publics {
      ours[symbol.name, default: []].append(symbol.rva)
      var plain = symbol.name
      if let at = plain.lastIndex(of: "@"), Int(plain[plain.index(after: at)...]) != nil {
        plain = String(plain[..<at])
      }
      if plain != symbol.name { ours[plain, default: []].append(symbol.rva) }
    }
    var missing: [String] = []
    for symbol in sym.publics {
      let candidates = ours[symbol.name] ?? ours["_" + symbol.name] ?? []
      guard !candidates.isEmpty else {
        missing.append(symbol.name)
        continue
      }
      #expect(candidates.contains(symbol.rva), "\(name) PUBLIC \(symbol.name)")
    }
    // Every PUBLIC record of breakpad's .sym has a public of ours to compare with, and the .sym
    // files are fixed fixtures, so the count is known: an empty table or a lost name fails here.
    #expect(missing.isEmpty, "\(name): no public named \(missing)")
    #expect(sym.publics.count == Self.omapPublics[name], "\(name) PUBLIC records")
    // Where whole functions were moved, FUNC starts equal the public entry points; where basic
    // blocks were reordered or padding stretched them, a function's lowest address need not be
    // its entry, so only the PUBLIC records are compared there.
    if name == "omap_reorder_funcs" {
      var functions = 0
      for function in sym.functions
      where !function.name.contains(" ") && !function.name.contains(":") {
        guard let candidates = ours["_" + function.name], candidates.count == 1 else { continue }
        #expect(candidates[0] == function.rva, "\(name) FUNC \(function.name)")
        functions += 1
      }
      #expect(functions == Self.omapReorderedFunctions, "\(name) FUNC records compared")
    }
  }

  @Test(
    "an MSF 2.0 (JG) PDB is refused with a clear message")
  func hostile() throws {
    let jg =
      Array("Microsoft C/C++ program database 2.00\r\n\u{1A}JG\0\0".utf8)
      + [UInt8](repeating: 0, count: 64)
    do {
      _ = try MSFFile(file: MappedFile(copying: jg))
      Issue.record("a JG PDB must be refused")
    } catch {
      #expect(error.description.contains("MSF 2.0"))
    }
  }

  @Test(
    "tiny64.pdb truncated, with a bad directory block or random bytes: errors, never a trap",
    .requires(.corpus))
  func hostileCorpus() throws {
    let path = "\(try Requirement.corpus.resolve())/pdb/generated-lld/out/tiny64.pdb"
    let data = try #require(FileManager.default.contents(atPath: path), "\(path)")
    let bytes = [UInt8](data)
    for length in stride(from: 0, to: bytes.count, by: 1021) {
      if let msf = try? MSFFile(file: MappedFile(copying: bytes[0..<length])),
        let pdb = try? PDBFile(msf: msf)
      {
        _ = try? pdb.publicSymbols()
      }
    }
    // The directory's first block number pointed past the end of the file.
    var broken = bytes
    withUnsafeBytes(of: UInt32(0x7FFF_FFFF).littleEndian) {
      broken.replaceSubrange(52..<56, with: $0)
    }
    #expect(throws: ParseError.self) { try MSFFile(file: MappedFile(copying: broken)) }
    var state: UInt64 = 3
    for _ in 0..<200 {
      var copy = bytes
      for _ in 0..<6 {
        state = state &* 6_364_136_223_846_793_005 &+ 1
        copy[Int((state >> 33) % UInt64(copy.count))] = UInt8(truncatingIfNeeded: state >> 11)
      }
      if let msf = try? MSFFile(file: MappedFile(copying: copy)), let pdb = try? PDBFile(msf: msf) {
        _ = try? PDBSymbolTable.read(pdb)
      }
    }
  }
}

extension PDBPublicsTests {
  /// `name → (segment, offset, code size)` of S_GPROC32 / S_LPROC32 records in llvm-pdbutil's dump.
  static func pdbutilProcedures(_ text: String) -> [String: (UInt16, UInt32, UInt32)] {
    var result: [String: (UInt16, UInt32, UInt32)] = [:]
    var pending: String?
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.contains("S_GPROC32") || line.contains("S_LPROC32"),
        let open = line.firstIndex(of: "`"), let close = line.lastIndex(of: "`"), open < close
      {
        pending = String(line[line.index(after: open)..<close])
      } else if let name = pending, let range = line.range(of: "addr = "),
        let sizeRange = line.range(of: "code size = ")
      {
        let address = line[range.upperBound...].prefix { $0 != "," }.split(separator: ":")
        let size = UInt32(line[sizeRange.upperBound...].prefix { $0.isNumber })
        if address.count == 2, let segment = UInt16(address[0]), let offset = UInt32(address[1]),
          let size, result[name] == nil
        {
          result[name] = (segment, offset, size)
        }
        pending = nil
      }
    }
    return result
  }

  @Test(
    "MSVC PDBs: store key, every public and every procedure equal pdb_oracle.sh (llvm-pdbutil)",
    .requires(.corpus, .oracleScript("pdb_oracle.sh"), .tool("llvm-pdbutil-14")),
    arguments: [
      "pdb/getsentry-symbolic/crash.pdb", "pdb/getsentry-symbolic/CrashWithException.pdb",
      "kernel/symbols/amdppm.pdb/1C19FDDB27BB3399D9B45973EFEAFCF31/amdppm.pdb",
    ])
  func msvcOracle(path: String) throws {
    let root = try Requirement.corpus.resolve()
    let script = try Requirement.oracleScript("pdb_oracle.sh").resolve()
    try Requirement.tool("llvm-pdbutil-14").resolve()
    let text = String(
      decoding: try Tools.output("/bin/bash", [script, "\(root)/\(path)"]), as: UTF8.self)
    let pdb = try PDBFile(path: "\(root)/\(path)")
    #expect(text.contains("# symbol-store key (GUID + DBI age): \(pdb.debugIdentifier)"))
    let publics = Self.pdbutilPublics(text)
    let ours = try pdb.publicSymbols()
    #expect(ours.count == publics.count, "\(path) publics")
    #expect(ours.count > 10)
    for symbol in ours {
      let expected = publics[symbol.name]
      #expect(
        expected?.0 == symbol.segment && expected?.1 == symbol.offset, "\(path) \(symbol.name)")
    }
    let procedures = Self.pdbutilProcedures(text)
    var compared = 0
    for module in try pdb.modules() {
      for procedure in try pdb.procedures(module) {
        guard let expected = procedures[procedure.name] else {
          Issue.record("\(path): llvm-pdbutil has no procedure \(procedure.name)")
          continue
        }
        // Names repeat across modules (static functions); the oracle keeps the first.
        if expected.0 == procedure.segment && expected.1 == procedure.offset {
          #expect(expected.2 == procedure.length, "\(path) \(procedure.name) size")
          compared += 1
        }
      }
    }
    #expect(compared == procedures.count, "\(path): \(compared) of \(procedures.count) procedures")
  }
}
