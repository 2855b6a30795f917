import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

@Suite("symbol path and stores")
struct SymbolStoreTests {
  @Test("_NT_SYMBOL_PATH syntax: srv, symsrv, cache, plain folders, servers with their caches")
  func parsing() {
    let path = SymbolPath(
      parsing:
        "cache*/c;SRV*/down*https://msdl.microsoft.com/download/symbols;/plain ; symsrv*symsrv.dll*/s*HTTP://x;srv**/e;srv*https://bare;srv*/c1*/c2*https://chain",
      defaultCache: "/default")
    #expect(
      path.locations == [
        .store("/c"), .store("/down"),
        .server("https://msdl.microsoft.com/download/symbols", caches: ["/down"]),
        .folder("/plain"), .store("/s"), .server("HTTP://x", caches: ["/s"]), .store("/e"),
        // No downstream store of its own: the cache*DIR element's folder.
        .server("https://bare", caches: ["/c"]),
        .store("/c1"), .store("/c2"), .server("https://chain", caches: ["/c1", "/c2"]),
      ])
    #expect(path.cache == "/c")
    #expect(path.hasServers)
    #expect(SymbolPath(parsing: "srv*/x", defaultCache: "/d").cache == "/d")
    #expect(!SymbolPath(parsing: "srv*/x", defaultCache: "/d").hasServers)
    // WinDbg's `srv*URL` and a bare URL element use the default downstream store.
    #expect(
      SymbolPath(parsing: "srv*https://s;https://t", defaultCache: "/d").locations == [
        .server("https://s", caches: ["/d"]), .server("https://t", caches: ["/d"]),
      ])
    #expect(SymbolPath(parsing: "").locations.isEmpty)
    #expect(SymbolPath.redacted("https://user:secret@host/x") == "https://***@host/x")
    #expect(SymbolPath.redacted("https://host/a@b") == "https://host/a@b")
  }

  @Test(
    "the mstange-symsrv store resolves the PDB by debug id (DBI age) and the exe by timestamp+size",
    .requires(.corpus))
  func mozillaStore() throws {
    let root = try Requirement.corpus.resolve()
    let store = "\(root)/pdb/mstange-symsrv/store"
    let tree = SymbolTree(root: store)
    let pdb = try #require(
      tree.path(debugFile: "ShowSSEConfig.pdb", debugID: "A62592418D7807494C4C44205044422E1"))
    #expect(pdb.hasSuffix("/ShowSSEConfig.pdb"))
    let table = try tree.table(
      debugFile: "ShowSSEConfig.pdb", debugID: "A62592418D7807494C4C44205044422E1"
    ).get()
    #expect(!table.functions.isEmpty)
    let image = try #require(
      tree.imagePath(name: "ShowSSEConfig.exe", timeDateStamp: 0x63E6_C7F7, sizeOfImage: 0x8000))
    #expect(image.hasSuffix("63E6C7F78000/ShowSSEConfig.exe"))

    // The same store holding only the compressed files: both expand into the cache, and the
    // expanded exe is byte-identical to the stored one (PROVENANCE).
    let scratch = TemporaryDirectory()
    let compressedStore = "\(scratch.path)/store"
    for (folder, name) in [
      ("ShowSSEConfig.pdb/A62592418D7807494C4C44205044422E1", "ShowSSEConfig.pd_"),
      ("ShowSSEConfig.exe/63E6C7F78000", "ShowSSEConfig.ex_"),
    ] {
      try FileManager.default.createDirectory(
        atPath: "\(compressedStore)/\(folder)", withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        atPath: "\(store)/\(folder)/\(name)", toPath: "\(compressedStore)/\(folder)/\(name)")
    }
    let cached = SymbolTree(root: compressedStore, cache: "\(scratch.path)/cache")
    #expect(
      cached.path(debugFile: "ShowSSEConfig.pdb", debugID: "A62592418D7807494C4C44205044422E1")
        != nil)
    let expandedTable = try cached.table(
      debugFile: "ShowSSEConfig.pdb", debugID: "a62592418d7807494c4c44205044422e1"
    ).get()
    // With a cache, the table answers from its archive; its records are the PDB's.
    #expect(expandedTable.mapped != nil)
    #expect(expandedTable.materialized.functions == table.functions)
    let expandedImage = try #require(
      cached.imagePath(name: "showsseconfig.EXE", timeDateStamp: 0x63E6_C7F7, sizeOfImage: 0x8000))
    #expect(FileManager.default.contentsEqual(atPath: expandedImage, andPath: image))
    // Without a cache, compressed files are not expanded.
    #expect(
      SymbolTree(root: compressedStore).path(
        debugFile: "ShowSSEConfig.pdb", debugID: "A62592418D7807494C4C44205044422E1") == nil)
  }

  @Test(
    "store2's .pd_ expands to tiny64.pdb byte for byte; two-tier stores and file.ptr resolve",
    .requires(.corpus))
  func layouts() throws {
    let root = try Requirement.corpus.resolve()
    let id = "080EE95D32E0099C4C4C44205044422E1"
    let scratch = TemporaryDirectory()
    let store2 = SymbolTree(
      root: "\(root)/pdb/generated-lld/out/store2", cache: "\(scratch.path)/cache")
    let expanded = try #require(store2.path(debugFile: "tiny64.pdb", debugID: id))
    #expect(
      FileManager.default.contentsEqual(
        atPath: expanded, andPath: "\(root)/pdb/generated-lld/out/tiny64.pdb"))

    // Two tiers: <root>/ti/tiny64.pdb/<id>/tiny64.pdb, marked by index2.txt.
    let twoTier = "\(scratch.path)/two-tier"
    try FileManager.default.createDirectory(
      atPath: "\(twoTier)/ti/tiny64.pdb/\(id)", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: "\(twoTier)/index2.txt", contents: Data())
    try FileManager.default.copyItem(
      atPath: "\(root)/pdb/generated-lld/out/tiny64.pdb",
      toPath: "\(twoTier)/ti/tiny64.pdb/\(id)/tiny64.pdb")
    let table = try SymbolTree(root: twoTier).table(debugFile: "tiny64.pdb", debugID: id).get()
    #expect(table.lookup(0x1000)?.name == "leaf_function")

    // file.ptr: the folder points at the real file elsewhere.
    let pointer = "\(scratch.path)/pointer"
    try FileManager.default.createDirectory(
      atPath: "\(pointer)/tiny64.pdb/\(id)", withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: "\(pointer)/tiny64.pdb/\(id)/file.ptr",
      contents: Data("PATH:\(root)/pdb/generated-lld/out/tiny64.pdb\r\n".utf8))
    #expect(
      SymbolTree(root: pointer).path(debugFile: "tiny64.pdb", debugID: id)
        == "\(root)/pdb/generated-lld/out/tiny64.pdb")

    // A plain folder: the flat PDB, accepted only with the right identity.
    let flat = SymbolPath(parsing: "\(root)/pdb/generated-lld/out")
    #expect((try? flat.table(debugFile: "tiny64.pdb", debugID: id).get()) != nil)
    guard
      case .failure(let error) = flat.table(
        debugFile: "tiny64.pdb", debugID: "00" + id.dropFirst(2))
    else {
      Issue.record("a PDB with another identity must not be used")
      return
    }
    #expect(error.description.contains("no tiny64.pdb/00"))
  }

  @Test("a corrupt .pd_ is an error naming the file, and nothing half-written is left in the cache")
  func corruptCompressed() throws {
    let scratch = TemporaryDirectory()
    let folder = "\(scratch.path)/store/bad.pdb/AB"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(
      atPath: "\(folder)/bad.pd_",
      contents: Data("MSCF".utf8 + [UInt8](repeating: 0x41, count: 200)))
    let tree = SymbolTree(root: "\(scratch.path)/store", cache: "\(scratch.path)/cache")
    #expect(tree.path(debugFile: "bad.pdb", debugID: "AB") == nil)
    #expect(throws: ParseError.self) {
      try CompressedSymbolFile.expand("\(folder)/bad.pd_", to: "\(scratch.path)/cache/x/bad.pdb")
    }
    #expect(TemporaryDirectory.files(under: "\(scratch.path)/cache").isEmpty)
  }

  @Test(
    "names from dumps never lead out of the store; a hostile .sym cannot choose where it is indexed"
  )
  func hostileNames() throws {
    let scratch = TemporaryDirectory()
    let store = "\(scratch.path)/store"
    try FileManager.default.createDirectory(
      atPath: "\(store)/x.pdb/AB", withIntermediateDirectories: true)
    // A PDB placed beside the store, reachable only through `..`.
    _ = FileManager.default.createFile(atPath: "\(scratch.path)/AB", contents: Data())
    let tree = SymbolTree(root: store)
    #expect(tree.path(debugFile: "..", debugID: "AB") == nil)
    #expect(tree.path(debugFile: "x.pdb", debugID: "..") == nil)
    #expect(tree.imagePath(name: "..", timeDateStamp: 1, sizeOfImage: 1) == nil)

    let evil = "\(scratch.path)/evil.sym"
    _ = FileManager.default.createFile(
      atPath: evil, contents: Data("MODULE windows x86 ../../../escaped evil.pdb\n".utf8))
    let outcome = SymbolStoreIndexer(store: store).index(file: evil)
    guard case .failed(let message) = outcome else {
      Issue.record("a .sym whose id is not hexadecimal must not be indexed, got \(outcome)")
      return
    }
    #expect(message.contains("not a store key"))
    #expect(!FileManager.default.fileExists(atPath: "\(scratch.path)/escaped"))
  }
}
