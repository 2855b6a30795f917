import CrashsiftTestSupport
import Foundation
import SymbolServer
import Symbols
import Synchronization
import Testing

/// symsrv's protocol against a real HTTP server on loopback: the same answers as the folder, the
/// request sequence, two-tier stores, downstream caches and remembered misses.
@Suite("symbol servers over HTTP")
struct SymbolServerFetchTests {
  static let certificates = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("certs").path

  /// A client with short waits, trusting the test CA.
  static func client(_ adjust: (inout SymbolServerConfiguration) -> Void = { _ in }) throws
    -> HTTPSymbolServer
  {
    var configuration = SymbolServerConfiguration()
    configuration.retryDelay = 0.01
    configuration.extraCertificateFile = "\(certificates)/ca.pem"
    adjust(&configuration)
    return try HTTPSymbolServer(configuration: configuration)
  }

  /// Every key of `store`, looked up through the folder and through `url` (over `client`),
  /// gives the same table or the same image bytes.
  static func compare(store: String, url: String, cache: String, client: HTTPSymbolServer) throws
    -> Int
  {
    let local = SymbolPath(parsing: "srv*\(store)")
    let remote = SymbolPath(parsing: "srv*\(cache)*\(url)")
    var compared = 0
    for entry in StoreEntries.entries(in: store) {
      switch entry.kind {
      case .symbols:
        let expected = local.table(debugFile: entry.folder, debugID: entry.index)
        let actual = remote.table(debugFile: entry.folder, debugID: entry.index, client: client)
        switch (expected, actual) {
        case (.success(let a), .success(let b)):
          #expect(a == b, "\(entry): the tables differ")
        case (.failure, .failure):
          break
        default:
          Issue.record("\(entry): local \(expected), remote \(actual)")
        }
      case .image:
        guard let (stamp, size) = StoreEntries.image(entry.index) else { continue }
        let expected = local.imagePath(name: entry.folder, timeDateStamp: stamp, sizeOfImage: size)
        let actual = remote.imagePath(
          name: entry.folder, timeDateStamp: stamp, sizeOfImage: size, client: client)
        #expect((expected == nil) == (actual == nil), "\(entry): \(String(describing: actual))")
        if let expected, let actual {
          #expect(
            FileManager.default.contents(atPath: expected)
              == FileManager.default.contents(atPath: actual), "\(entry): the images differ")
        }
      }
      compared += 1
    }
    return compared
  }

  @Test("every key of the sample store and .sym tree: the same answer through HTTP and HTTPS")
  func sampleStores() throws {
    for tls in [false, true] {
      for folder in ["samples/store", "samples/symbols"] {
        let store = "\(Corpus.packageRoot)/\(folder)"
        let server = try LoopbackSymbolServer(root: store, tls: tls)
        defer { server.stop() }
        let cache = TemporaryDirectory()
        let client = try Self.client()
        let compared = try Self.compare(
          store: store, url: server.baseURL, cache: cache.path, client: client)
        #expect(compared >= (folder == "samples/store" ? 15 : 1))
        #expect(client.statistics.found == compared, "\(client.statistics)")
        #expect(client.statistics.rejected == 0 && client.statistics.unavailable == 0)
        #expect(TemporaryDirectory.files(under: "\(cache.path)/.crashsift-partial").isEmpty)
      }
    }
  }

  @Test(
    "every key of the corpus's stores (real PDBs, .pd_/.ex_ files, Breakpad .sym trees) over HTTP",
    .requires(.corpus))
  func corpusStores() throws {
    let root = try Requirement.corpus.resolve()
    var total = 0
    for folder in [
      "kernel/symbols", "pdb/mstange-symsrv/store", "pdb/generated-lld/out/store",
      "minidump/breakpad/src/processor/testdata/symbols",
    ] {
      let store = "\(root)/\(folder)"
      let server = try LoopbackSymbolServer(root: store)
      defer { server.stop() }
      let cache = TemporaryDirectory()
      let client = try Self.client()
      let compared = try Self.compare(
        store: store, url: server.baseURL, cache: cache.path, client: client)
      // Every key the folder serves is found through the server, none rejected.
      #expect(client.statistics.found == compared, "\(folder): \(client.statistics)")
      #expect(client.statistics.rejected == 0, "\(folder): \(client.statistics)")
      total += compared
    }
    #expect(total >= 10)
  }

  @Test("symsrv's order: the file, the compressed file, file.ptr, then the names in lower case")
  func requestOrder() throws {
    let dir = TemporaryDirectory()
    let store = "\(Corpus.packageRoot)/samples/store"
    let id = "07824A75B53B8A494C4C44205044422E1"
    // Only a lower-case copy on a case-sensitive server, reached through file.ptr.
    let server = try LoopbackSymbolServer(root: dir.path)
    defer { server.stop() }
    try FileManager.default.copyItem(
      atPath: "\(store)/contoso-app.pdb/\(id)/contoso-app.pdb",
      toPath: dir.file("elsewhere/contoso-app.pdb"))
    try Data("PATH:\(server.baseURL)/elsewhere/contoso-app.pdb".utf8).write(
      to: URL(fileURLWithPath: dir.file("contoso-app.pdb/\(id)/file.ptr")))
    let cache = TemporaryDirectory()
    let path = SymbolPath(parsing: "srv*\(cache.path)*\(server.baseURL)")
    let table = try path.table(
      debugFile: "Contoso-App.PDB", debugID: id, client: try Self.client()
    ).get()
    #expect(table.debugID == id)
    #expect(
      server.log == [
        "/index2.txt",
        "/Contoso-App.PDB/\(id)/Contoso-App.PDB", "/Contoso-App.PDB/\(id)/Contoso-App.PD_",
        "/Contoso-App.PDB/\(id)/file.ptr",
        "/contoso-app.pdb/\(id)/contoso-app.pdb", "/contoso-app.pdb/\(id)/contoso-app.pd_",
        "/contoso-app.pdb/\(id)/file.ptr", "/elsewhere/contoso-app.pdb",
      ])
  }

  @Test("a compressed .pd_ (a real symsrv CAB) is expanded and checked", .requires(.corpus))
  func compressed() throws {
    let root = try Requirement.corpus.resolve()
    let id = "A62592418D7807494C4C44205044422E1"
    let source = "\(root)/pdb/mstange-symsrv/store/ShowSSEConfig.pdb/\(id)"
    let dir = TemporaryDirectory()
    try FileManager.default.copyItem(
      atPath: "\(source)/ShowSSEConfig.pd_",
      toPath: dir.file("ShowSSEConfig.pdb/\(id)/ShowSSEConfig.pd_"))
    let server = try LoopbackSymbolServer(root: dir.path)
    defer { server.stop() }
    let cache = TemporaryDirectory()
    let remote = try SymbolPath(parsing: "srv*\(cache.path)*\(server.baseURL)").table(
      debugFile: "ShowSSEConfig.pdb", debugID: id, client: try Self.client()
    ).get()
    let local = try SymbolTree(root: "\(root)/pdb/mstange-symsrv/store").table(
      debugFile: "ShowSSEConfig.pdb", debugID: id
    ).get()
    #expect(remote == local)
    #expect(
      server.log.suffix(2) == [
        "/ShowSSEConfig.pdb/\(id)/ShowSSEConfig.pdb", "/ShowSSEConfig.pdb/\(id)/ShowSSEConfig.pd_",
      ])
    // The cache holds the expanded file under its own name, as a store.
    #expect(
      FileManager.default.fileExists(
        atPath: "\(cache.path)/ShowSSEConfig.pdb/\(id)/ShowSSEConfig.pdb"))
  }

  @Test("a two-tier server (index2.txt): <first two letters>/<file>/<id>/<file>")
  func twoTier() throws {
    let dir = TemporaryDirectory()
    let store = "\(Corpus.packageRoot)/samples/store"
    let id = "07824A75B53B8A494C4C44205044422E1"
    try FileManager.default.copyItem(
      atPath: "\(store)/contoso-app.pdb/\(id)/contoso-app.pdb",
      toPath: dir.file("co/contoso-app.pdb/\(id)/contoso-app.pdb"))
    try Data().write(to: URL(fileURLWithPath: dir.file("index2.txt")))
    let server = try LoopbackSymbolServer(root: dir.path)
    defer { server.stop() }
    let cache = TemporaryDirectory()
    _ = try SymbolPath(parsing: "srv*\(cache.path)*\(server.baseURL)").table(
      debugFile: "contoso-app.pdb", debugID: id, client: try Self.client()
    ).get()
    #expect(server.log == ["/index2.txt", "/co/contoso-app.pdb/\(id)/contoso-app.pdb"])
  }

  @Test("srv*C1*C2*URL fills both caches; the next run (a new process) asks the server nothing")
  func downstreamCaches() throws {
    let store = "\(Corpus.packageRoot)/samples/store"
    let server = try LoopbackSymbolServer(root: store)
    defer { server.stop() }
    let near = TemporaryDirectory()
    let far = TemporaryDirectory()
    let text = "srv*\(near.path)*\(far.path)*\(server.baseURL)"
    let id = "07824A75B53B8A494C4C44205044422E1"
    let first = SymbolTableCache(path: SymbolPath(parsing: text), client: try Self.client())
    let table = try first.table(debugFile: "contoso-app.pdb", debugID: id).get()
    let image = first.image(name: "ntoskrnl.exe", timeDateStamp: 0x64F0_0000, sizeOfImage: 0x5000)
    let requests = server.log.count
    #expect(requests >= 2)
    for dir in [near.path, far.path] {
      #expect(
        FileManager.default.fileExists(atPath: "\(dir)/contoso-app.pdb/\(id)/contoso-app.pdb"))
    }
    server.clearLog()
    let second = SymbolTableCache(path: SymbolPath(parsing: text), client: try Self.client())
    #expect(try second.table(debugFile: "contoso-app.pdb", debugID: id).get() == table)
    #expect(image != nil)
    #expect(
      second.image(name: "ntoskrnl.exe", timeDateStamp: 0x64F0_0000, sizeOfImage: 0x5000) != nil)
    #expect(server.log.isEmpty, "the second run asked \(server.log)")
  }

  @Test("eight clients asking for one key at once download it once, and one miss is asked once")
  func oneDownloadPerKey() throws {
    let server = try LoopbackSymbolServer(root: "\(Corpus.packageRoot)/samples/store")
    defer { server.stop() }
    let cache = TemporaryDirectory()
    let id = "07824A75B53B8A494C4C44205044422E1"
    let keys = [
      SymbolStoreKey.pdb(debugFile: "contoso-app.pdb", debugID: id),
      SymbolStoreKey.pdb(debugFile: "absent.pdb", debugID: "00112233445566778899AABBCCDDEEFF1"),
    ]
    // Separate clients, as separate worker processes have: only the lock in the cache is shared.
    let clients = try (0..<8).map { _ in try Self.client() }
    let outcomes = Mutex<[RemoteFetch]>([])
    DispatchQueue.concurrentPerform(iterations: clients.count * keys.count) { index in
      let outcome = clients[index % clients.count].fetch(
        keys[index / clients.count], from: server.baseURL, into: cache.path)
      outcomes.withLock { $0.append(outcome) }
    }
    let found = outcomes.withLock { $0 }.filter { if case .found = $0 { true } else { false } }
    #expect(found.count == clients.count)
    let asked = server.log.filter { !$0.hasSuffix("index2.txt") }
    #expect(
      asked.filter { $0.contains("contoso-app") } == ["/contoso-app.pdb/\(id)/contoso-app.pdb"])
    // The absent key: as named, compressed, file.ptr, then lower case (already lower) once.
    #expect(asked.filter { $0.contains("absent") }.count == 3, "\(asked)")
  }

  @Test("a miss is remembered on disk until it expires, then asked again")
  func rememberedMisses() throws {
    let server = try LoopbackSymbolServer(root: "\(Corpus.packageRoot)/samples/store")
    defer { server.stop() }
    let cache = TemporaryDirectory()
    let text = "srv*\(cache.path)*\(server.baseURL)"
    let id = "00112233445566778899AABBCCDDEEFF1"
    let first = try Self.client()
    let miss = SymbolPath(parsing: text).table(debugFile: "absent.pdb", debugID: id, client: first)
    guard case .failure(let error) = miss else {
      Issue.record("absent.pdb was found")
      return
    }
    #expect(error.description.contains("not on \(server.baseURL)"))
    #expect(
      error.description.contains(
        "not on \(server.baseURL): absent.pdb/\(id)/{absent.pdb, absent.pd_, file.ptr}"),
      "\(error)")
    #expect(error.description.contains("not on \(server.baseURL): absent.pdb/\(id)/absent.sym"))
    let asked = server.log.count
    #expect(asked == 5, "index2.txt, .pdb, .pd_, file.ptr, .sym: \(server.log)")
    server.clearLog()
    let second = try Self.client()
    let again = SymbolPath(parsing: text).table(
      debugFile: "absent.pdb", debugID: id, client: second)
    #expect(server.log.filter { $0.contains("absent") }.isEmpty, "\(server.log)")
    if case .failure(let error) = again { #expect(error.description.contains("remembered miss")) }
    #expect(second.statistics.rememberedMisses == 2)
    // Expired entries (their time moved back past the expiry) are asked again.
    for file in TemporaryDirectory.files(under: "\(cache.path)/.crashsift-misses") {
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: -4 * 86_400)],
        ofItemAtPath: "\(cache.path)/.crashsift-misses/\(file)")
    }
    server.clearLog()
    _ = SymbolPath(parsing: text).table(
      debugFile: "absent.pdb", debugID: id, client: try Self.client())
    #expect(server.log.filter { $0.contains("absent") }.count == 4)
  }
}
