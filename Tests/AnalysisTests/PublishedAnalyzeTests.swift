import Analysis
import CrashsiftTestSupport
import Foundation
import Testing

/// Conformance with WinDbg on outputs nobody here wrote: `!analyze -v` records published by
/// driver developers, exploit write-ups and BSOD threads (the shared corpus'
/// `kernel/published-analyze/` and the repository's `conformance/published-analyze/`). Each log
/// is bucketed with the built-in rules and compared with what WinDbg printed. Every record where
/// crashsift differs must be listed, with its reason, in docs/bucketing.md; a record that starts
/// agreeing must be taken off that list. So the list is always the truth about where we stand.
@Suite("published !analyze -v conformance")
struct PublishedAnalyzeTests {
  struct Record: Decodable {
    var id: String
    var bugcheckCode: String
    var stack: [String]
    var symbolName: String?
    var moduleName: String?
    var failureBucketId: String?
    var failureIdHash: String?
  }

  struct Outcome {
    var record: Record
    /// nil when the published log cannot be read (the reason is in `unreadable`).
    var bucket: CrashBucket?
    var unreadable: String?
    var symbolOK: Bool
    var moduleOK: Bool
    /// nil when WinDbg printed an older-engine bucket form (not compared).
    var bucketOK: Bool?
    var hashOK: Bool?
  }

  /// Records with a stack, a SYMBOL_NAME and a log to read, from every folder present.
  static func records() throws -> [(Record, String)] {
    var folders = ["\(Corpus.packageRoot)/conformance/published-analyze"]
    if let corpus = Corpus.root { folders.append("\(corpus)/kernel/published-analyze") }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    var found: [(Record, String)] = []
    var seen: Set<String> = []
    for folder in folders {
      guard let data = FileManager.default.contents(atPath: "\(folder)/records.jsonl") else {
        continue
      }
      for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
        let record = try decoder.decode(Record.self, from: Data(line))
        guard !record.stack.isEmpty, record.symbolName != nil, !seen.contains(record.id) else {
          continue
        }
        // The verbatim published text when kept, else the log laid out from the record.
        let logs = ["\(folder)/raw/\(record.id).txt", "\(folder)/logs/\(record.id).txt"]
        guard let log = logs.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
          continue
        }
        seen.insert(record.id)
        found.append((record, log))
      }
    }
    return found
  }

  /// WinDbg's modern form: no `X64_`/`X86_` prefix, no offset inside the bucket.
  static func isModern(_ bucket: String) -> Bool {
    !bucket.hasPrefix("X64_") && !bucket.hasPrefix("X86_") && !bucket.contains("+")
  }

  static func outcomes(stripKernelNames: Bool) throws -> [Outcome] {
    try records().map { record, path in
      let text = try String(contentsOfFile: path, encoding: .utf8)
      var log: WindbgLog
      do {
        log = try WindbgLog(text: text)
      } catch {
        // Published text mangled past reading (lost line breaks, no STACK_TEXT): a miss.
        return Outcome(
          record: record, bucket: nil, unreadable: "\(error)", symbolOK: false,
          moduleOK: false,
          bucketOK: record.failureBucketId.map { !$0.isEmpty && isModern($0) } == true
            ? false : nil,
          hashOK: nil)
      }
      if stripKernelNames {
        // As without nt symbols: `nt+0x…`, the offset made up (only the module is compared).
        for index in log.frames.indices where log.frames[index].module?.lowercased() == "nt" {
          log.frames[index].function = nil
          log.frames[index].offset = 0x1000 &* UInt64(index + 1)
        }
      }
      let bucket = Bucketer.bucket(
        Bucketer.crash(of: log), frames: Bucketer.frames(log), rules: .defaults,
        context: Bucketer.context(of: log), faultingFrame: Bucketer.faultingFrame(log),
        facts: Bucketer.facts(log))
      let printed = record.failureBucketId ?? ""
      return Outcome(
        record: record, bucket: bucket, unreadable: nil,
        symbolOK: bucket.symbolName.lowercased() == record.symbolName?.lowercased(),
        moduleOK: bucket.moduleName.lowercased() == record.moduleName?.lowercased(),
        bucketOK: !printed.isEmpty && isModern(printed)
          ? bucket.failureBucketID.lowercased() == printed.lowercased() : nil,
        hashOK: record.failureIdHash.map { bucket.failureIDHash.lowercased() == $0.lowercased() })
    }
  }

  /// The ids docs/bucketing.md lists as differing (`| \`id\` | …` rows of its table).
  static func documentedMisses() throws -> Set<String> {
    let text = try String(
      contentsOfFile: "\(Corpus.packageRoot)/docs/bucketing.md", encoding: .utf8)
    var ids: Set<String> = []
    for line in text.split(separator: "\n") where line.hasPrefix("| `") {
      let cell = line.dropFirst(3).prefix { $0 != "`" }
      ids.insert(String(cell))
    }
    return ids
  }

  @Test(
    "SYMBOL_NAME, MODULE_NAME, FAILURE_BUCKET_ID and FAILURE_ID_HASH as WinDbg printed them",
    .requires(.corpus))
  func conformance() throws {
    let outcomes = try Self.outcomes(stripKernelNames: false)
    let total = outcomes.count
    let symbols = outcomes.filter(\.symbolOK).count
    let modules = outcomes.filter(\.moduleOK).count
    let modern = outcomes.filter { $0.bucketOK != nil }
    let buckets = modern.filter { $0.bucketOK == true }.count
    let hashed = outcomes.filter { $0.hashOK != nil }
    let hashes = hashed.filter { $0.hashOK == true }.count
    print(
      "published-analyze: \(total) records; SYMBOL_NAME \(symbols), MODULE_NAME \(modules); "
        + "modern buckets \(buckets)/\(modern.count); FAILURE_ID_HASH \(hashes)/\(hashed.count)")
    #expect(total >= 36, "the corpus' records must all be read")
    let misses = Set(
      outcomes.filter { !$0.symbolOK || !$0.moduleOK || $0.bucketOK == false }.map(\.record.id))
    let documented = try Self.documentedMisses()
    for outcome in outcomes where misses.contains(outcome.record.id) {
      #expect(
        documented.contains(outcome.record.id),
        """
        \(outcome.record.id) differs from WinDbg and docs/bucketing.md does not say why: \
        ours \(outcome.bucket?.symbolName ?? outcome.unreadable ?? "-") / \
        \(outcome.bucket?.failureBucketID ?? "-"), WinDbg \
        \(outcome.record.symbolName ?? "-") / \(outcome.record.failureBucketId ?? "-")
        """)
    }
    let known = Set(outcomes.map(\.record.id))
    for id in documented.intersection(known).subtracting(misses) {
      Issue.record("\(id) now agrees with WinDbg: take it off the list in docs/bucketing.md")
    }
    // Where the bucket string agrees, its hash must too: the hash is computed, not looked up.
    for outcome in outcomes where outcome.hashOK == false && outcome.bucketOK == true {
      Issue.record("\(outcome.record.id): same bucket, different FAILURE_ID_HASH")
    }
  }

  @Test(
    "without kernel symbols (every nt frame `nt+0x…`) the followup module stays right",
    .requires(.corpus))
  func withoutKernelSymbols() throws {
    let named = try Self.outcomes(stripKernelNames: false)
    let stripped = try Self.outcomes(stripKernelNames: true)
    let agreeing = zip(named, stripped).filter { $0.0.moduleOK }
    let kept = agreeing.filter { $0.1.moduleOK }.count
    print("published-analyze without nt symbols: module kept for \(kept)/\(agreeing.count)")
    // Measured floor (see docs/bucketing.md): a regression guard, not the goal.
    #expect(kept * 100 >= agreeing.count * 90, "followup module lost without nt symbols")
  }
}
