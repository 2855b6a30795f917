import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import KernelDump
import Minidump
import Symbols
import Testing

/// Inputs that made the whole-pipeline fuzzer (Fuzz/PipelineFuzzer.swift) trap, kept in
/// Tests/FuzzFindings/pipeline/ and replayed the way it runs them: sniffed, parsed, walked and
/// named through the sample symbol store, bucketed with the default rules and signed.
@Suite("fuzz findings: pipeline")
struct PipelineFuzzFindingsTests {
  static let folder = "\(Corpus.packageRoot)/Tests/FuzzFindings/pipeline"

  /// The fuzzer's steps for one input; the bucket, when something crashed.
  static func replay(_ path: String, symbols: SymbolTableCache) throws -> CrashBucket? {
    let file = try MappedFile(path: path)
    let head = file.bytes.prefix(8)
    if head.starts(with: "MDMP".utf8) {
      guard let dump = try? Minidump(file: file) else { return nil }
      _ = MinidumpReport(dump, name: path).text
      let stack = ThreadStack.crashingThread(of: dump, symbols: symbols)
      _ = stack?.text(x64: stack?.is64Bit ?? true)
      guard let crash = Bucketer.crash(of: dump) else { return nil }
      var bucket = Bucketer.bucket(
        crash, frames: stack.map(Bucketer.frames) ?? [], rules: .defaults)
      bucket.describe(from: dump)
      if let stack, let lists = SocorroLists.defaults {
        let data = SocorroSignature.CrashData(
          stack: stack, reason: (try? dump.crashReason())?.reason)
        bucket.socorroSignature = SocorroSignature.generate(data, lists: lists).signature
      }
      return bucket
    }
    guard head.starts(with: "PAGEDU64".utf8) || head.starts(with: "PAGEDUMP".utf8),
      let dump = try? KernelDump(file: file)
    else { return nil }
    _ = KernelDumpReport(dump, name: path, symbols: symbols).text
    let stack = ThreadStack.crashingThread(of: dump, symbols: symbols)
    var bucket = Bucketer.bucket(
      Bucketer.crash(of: dump), frames: stack.map(Bucketer.frames) ?? [], rules: .defaults)
    bucket.describe(from: dump)
    return bucket
  }

  @Test("every finding goes through parse, walk, symbols and bucketing without a trap")
  func replayAll() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder).sorted()
    #expect(!names.isEmpty)
    let symbols = SymbolTableCache(
      path: SymbolPath(parsing: "srv*\(Corpus.packageRoot)/samples/store"))
    var buckets: [String: CrashBucket] = [:]
    for name in names {
      buckets[name] = try Self.replay("\(Self.folder)/\(name)", symbols: symbols)
    }
    // access-type-beyond-int: breakpad's null_write_av.dmp with ExceptionInformation[0] = 2^63.
    // `Int(parameters[0])` trapped in Bucketer.userPrefix; any access type but 0 and 8 is a write.
    #expect(buckets["access-type-beyond-int.dmp"]?.prefix == "NULL_POINTER_WRITE_c0000005")
  }
}
