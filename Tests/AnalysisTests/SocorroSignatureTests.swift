import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import Minidump
import Symbols
import Testing

/// The Socorro-compatible signature against siggen's own outputs.
@Suite("Socorro signatures")
struct SocorroSignatureTests {

  @Test(
    "every siggen vector: signature, proto signature, normalized frames and notes",
    .requires(.corpus))
  func vectors() throws {
    let dir = "\(try Requirement.corpus.resolve())/minidump/siggen/vectors"
    let lists = try #require(SocorroLists.defaults)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir)
      .filter { $0.hasSuffix(".input.json") }.map { String($0.dropLast(11)) }.sorted()
    #expect(names.count == 10)
    for name in names {
      let input =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).input.json")))
        as? [String: Any]
      let expected =
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).expected.json")))
        as? [String: Any]
      let result = SocorroSignature.generate(
        SocorroSignature.CrashData(json: try #require(input)), lists: lists)
      #expect(result.signature == expected?["signature"] as? String, "\(name)")
      #expect(result.protoSignature == expected?["proto_signature"] as? String, "\(name)")
      #expect(result.normalizedFrames == expected?["normalized_frames"] as? [String], "\(name)")
      #expect(result.notes == expected?["notes"] as? [String], "\(name)")
    }
  }

  @Test("the shipped lists are the compiled-in ones, and load from their folder")
  func lists() throws {
    let folder = "\(Corpus.packageRoot)/pipelines/rules/socorro"
    let loaded = try SocorroLists(directory: folder)
    let text = try String(contentsOfFile: "\(folder)/signature_sentinels.txt", encoding: .utf8)
    #expect(text.contains("_purecall"))
    let defaults = try #require(SocorroLists.defaults)
    for frame in [
      "NtWaitForSingleObject", "Worker::Run", "@0x0", "RtlUserThreadStart", "KiFastSystemCallRet",
    ] {
      let data = SocorroSignature.CrashData(
        os: "Windows NT", reason: nil,
        frames: [.init(function: frame, module: "x.dll", file: nil, line: nil, offset: nil)])
      #expect(
        SocorroSignature.generate(data, lists: loaded)
          == SocorroSignature.generate(data, lists: defaults))
    }
    let bucketing = try String(
      contentsOfFile: "\(Corpus.packageRoot)/pipelines/rules/bucketing.json", encoding: .utf8)
    #expect(
      bucketing.trimmingCharacters(in: .whitespacesAndNewlines)
        == BucketRules.defaultText.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  @Test(
    "minidump2 walked by crashsift with symbols: (anonymous namespace)::CrashFunction",
    .requires(.corpus))
  func ourStack() throws {
    let root = try Requirement.corpus.resolve()
    let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
    let dump = try Minidump(file: MappedFile(path: "\(testdata)/minidump2.dmp"))
    let with = try #require(
      ThreadStack.crashingThread(
        of: dump, symbols: SymbolTableCache(path: SymbolPath(parsing: "\(testdata)/symbols"))))
    let lists = try #require(SocorroLists.defaults)
    let reason = (try? dump.crashReason())??.reason
    let signed = SocorroSignature.generate(.init(stack: with, reason: reason), lists: lists)
    #expect(signed.signature == "(anonymous namespace)::CrashFunction")
    #expect(
      signed.protoSignature
        == "(anonymous namespace)::CrashFunction | main | __tmainCRTStartup | BaseProcessStart")
    let without = try #require(ThreadStack.crashingThread(of: dump, symbols: nil))
    #expect(
      SocorroSignature.generate(.init(stack: without, reason: reason), lists: lists).signature
        == "test_app.exe")
  }
}

/// Our signature of our own stacks equals siggen's signature of the same stacks.
@Suite("Socorro signatures vs siggen")
struct SocorroOracleTests {
  @Test(
    "breakpad's test minidumps, walked by crashsift: siggen agrees on every signature",
    .requires(.corpus, .oraclePython, .oracleScript("siggen_oracle.sh")))
  func oracle() throws {
    let root = try Requirement.corpus.resolve()
    let script = try Requirement.oracleScript("siggen_oracle.sh").resolve()
    // The script falls back to a system siggen, but the pinned one is what the answers mean.
    try Requirement.oraclePython.resolve()
    let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
    let symbols = SymbolTableCache(path: SymbolPath(parsing: "\(testdata)/symbols"))
    let lists = try #require(SocorroLists.defaults)
    let dumps = try FileManager.default.contentsOfDirectory(atPath: testdata)
      .filter { $0.hasSuffix(".dmp") }.sorted()
    var compared = 0
    for name in dumps {
      guard let dump = try? Minidump(file: MappedFile(path: "\(testdata)/\(name)")),
        let stack = ThreadStack.crashingThread(of: dump, symbols: symbols)
      else { continue }
      let data = SocorroSignature.CrashData(
        stack: stack, reason: (try? dump.crashReason())??.reason)
      let ours = SocorroSignature.generate(data, lists: lists)
      let input = dir(name) + ".json"
      try JSONSerialization.data(withJSONObject: data.json).write(to: URL(fileURLWithPath: input))
      let output = try Tools.output("/bin/bash", ["-c", "bash '\(script)' < '\(input)'"])
      let theirs = try JSONSerialization.jsonObject(with: output) as? [String: Any]
      #expect(ours.signature == theirs?["signature"] as? String, "\(name)")
      #expect(ours.protoSignature == theirs?["proto_signature"] as? String, "\(name)")
      compared += 1
    }
    #expect(compared >= 10)
  }

  let scratch = TemporaryDirectory()
  func dir(_ name: String) -> String { scratch.file(name) }
}
