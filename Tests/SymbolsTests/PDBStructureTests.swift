import CrashsiftTestSupport
import Foundation
import PDB
import Testing

/// Structure layouts from a PDB's type records, against llvm-pdbutil's dump of the same types.
/// The PDB is samples/images/kernel-types/ntkrnlmp.pdb (clang-cl + lld-link, scripts/
/// build-kernel-types.sh): _EPROCESS, _KPROCESS, _ETHREAD, _KTHREAD and _KAPC_STATE at the 19041
/// x64 offsets, and the I/O objects a 0x9F is read through, which the C source checks at compile
/// time.
@Suite("PDB structure layouts")
struct PDBStructureTests {
  static let pdb = "\(Corpus.packageRoot)/samples/images/kernel-types/ntkrnlmp.pdb"
  static let names = [
    "_EPROCESS", "_KPROCESS", "_ETHREAD", "_KTHREAD", "_KAPC_STATE", "_IRP",
    "_IO_STACK_LOCATION", "_DEVICE_OBJECT", "_DRIVER_OBJECT",
  ]

  /// `structure name → [(member, offset)]` of the definitions (not forward references) in
  /// `llvm-pdbutil dump -types` output.
  static func pdbutilStructures(_ text: String) -> [String: [(String, Int)]] {
    var lists: [String: [(String, Int)]] = [:]
    var structures: [(name: String, list: String)] = []
    var currentList: String?
    var pendingName: String?
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.contains("| LF_FIELDLIST") {
        currentList = line.split(separator: " ").first.map(String.init)
        pendingName = nil
        continue
      }
      if line.contains("| LF_STRUCTURE"), let open = line.firstIndex(of: "`"),
        let close = line.lastIndex(of: "`"), open < close
      {
        pendingName = String(line[line.index(after: open)..<close])
        currentList = nil
        continue
      }
      if let list = currentList, line.hasPrefix("- LF_MEMBER"),
        let nameStart = line.range(of: "name = `"), let offsetStart = line.range(of: "offset = ")
      {
        let name = line[nameStart.upperBound...].prefix { $0 != "`" }
        let offset = Int(line[offsetStart.upperBound...].prefix { $0.isNumber }) ?? -1
        lists[list, default: []].append((String(name), offset))
      }
      if let name = pendingName, let range = line.range(of: "field list: ") {
        let list = String(line[range.upperBound...].prefix { $0 != "," && $0 != " " })
        if list != "<no" { structures.append((name, list)) }
      }
      if line.contains("forward ref"), let last = structures.last, last.name == pendingName {
        structures.removeLast()
      }
    }
    var result: [String: [(String, Int)]] = [:]
    for (name, list) in structures where result[name] == nil {
      result[name] = lists[list] ?? []
    }
    return result
  }

  @Test(
    "every member of the kernel structures at llvm-pdbutil's offset",
    .requires(.tool("llvm-pdbutil-14")))
  func againstPdbutil() throws {
    let tool = try Requirement.tool("llvm-pdbutil-14").resolve()
    let dump = String(
      decoding: try Tools.output(tool, ["dump", "-types", Self.pdb]), as: UTF8.self)
    let theirs = Self.pdbutilStructures(dump)
    let structures = try #require(try PDBStructures(PDBFile(path: Self.pdb)))
    for name in Self.names {
      let ours = try #require(structures.structure(name), "\(name)")
      let expected = try #require(theirs[name], "\(name) in llvm-pdbutil's dump")
      #expect(expected.count >= 3, "\(name)")
      #expect(ours.members.map(\.name) == expected.map(\.0), "\(name)")
      #expect(ours.members.map(\.offset) == expected.map(\.1), "\(name)")
    }
  }

  @Test("member paths through nested structures: the offsets the source pins")
  func paths() throws {
    let structures = try #require(try PDBStructures(PDBFile(path: Self.pdb)))
    #expect(structures.offset(of: "ApcState.Process", in: "_KTHREAD") == 0xB8)
    #expect(structures.offset(of: "Pcb.ThreadListHead", in: "_EPROCESS") == 0x30)
    #expect(structures.offset(of: "Tcb.WaitReason", in: "_ETHREAD") == 0x283)
    #expect(structures.offset(of: "ImageFileName", in: "_EPROCESS") == 0x5A8)
    #expect(structures.offset(of: "Cid", in: "_ETHREAD") == 0x478)
    #expect(structures.structure("_EPROCESS")?.size == 0xA40)
    #expect(structures.offset(of: "NoSuchField", in: "_EPROCESS") == nil)
    #expect(structures.structure("_NO_SUCH_TYPE") == nil)
  }
}
