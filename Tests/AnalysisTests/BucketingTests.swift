import ByteReader
import CrashsiftTestSupport
import Forge
import Foundation
import KernelDump
import Minidump
import Symbols
import Testing

@testable import Analysis

/// FAILURE_BUCKET_ID and FAILURE_ID_HASH against published !analyze outputs, forged crashes with
/// known blame, and the real triage dump.
@Suite("bucketing")
struct BucketingTests {
  /// The rows of analyze-bucket-anchors.tsv, by column name.
  static func anchors() throws -> [[String: String]] {
    let root = try Requirement.corpus.resolve()
    let text = try String(
      contentsOfFile: "\(root)/kernel/analyze-bucket-anchors.tsv", encoding: .utf8)
    let lines = text.split(separator: "\n").map {
      $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
    }
    guard let header = lines.first else { return [] }
    return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
  }

  @Test(
    "FAILURE_ID_HASH equals the printed hash for every anchor row that has one", .requires(.corpus))
  func hashes() throws {
    let rows = try Self.anchors()
    let hashed = rows.filter { !($0["failure_id_hash"] ?? "").isEmpty }
    #expect(hashed.count == 16)
    for row in hashed {
      let bucket = try #require(row["failure_bucket_id"])
      let ours = FailureIDHash.of(bucket, kernelMode: row["hash_mode"] != "um")
      #expect(ours == "{" + (row["failure_id_hash"] ?? "").lowercased() + "}", "\(bucket)")
    }
    // The reference's worked example.
    #expect(
      FailureIDHash.of("AV_exampledrv!unknown_function", kernelMode: true)
        == "{80b08685-e1dc-47da-cb28-ceadf9b63c14}")
  }

  @Test(
    "the grammar rebuilds each anchor's FAILURE_BUCKET_ID from the components the row lists",
    .requires(.corpus))
  func grammar() throws {
    let rows = try Self.anchors()
    // Modern-format rows whose prefix follows from the bug check alone (old outputs kept the
    // offset in the bucket); for 0x7E rows bucketed AV_ the first
    // parameter is the access-violation exception c0000005 (that is what AV_ says there).
    let reproducible = [
      "d1": [0], "e3": [0], "39": [0], "7e": [0xC000_0005], "1000007e": [0xC000_0005],
    ]
    var checked = 0
    for row in rows {
      guard row["format"] == "new", let code = row["bugcheck_code"],
        let parameters = reproducible[code],
        let symbol = row["symbol_name"], !symbol.isEmpty, let image = row["image_name"]
      else { continue }
      var function: String?
      var offset: UInt64?
      if let bang = symbol.firstIndex(of: "!") {
        let rest = symbol[symbol.index(after: bang)...]
        let parts = rest.split(separator: "+")
        function = String(parts[0])
        offset = parts.count > 1 ? UInt64(parts[1], radix: 16) : 0
      } else {
        offset = symbol.split(separator: "+").last.flatMap { UInt64($0, radix: 16) }
      }
      let frame = Bucketer.Frame(
        image: image, moduleOffset: offset, function: function, functionOffset: offset,
        trust: "context")
      let bucket = Bucketer.bucket(
        .kernel(
          code: UInt64(code, radix: 16) ?? 0, parameters: parameters.map(UInt64.init) + [0, 0, 0]),
        frames: [frame], rules: .defaults)
      #expect(bucket.failureBucketID.lowercased() == row["failure_bucket_id"]?.lowercased())
      #expect(bucket.symbolName.lowercased() == symbol.lowercased())
      #expect(bucket.moduleName == row["module_name"])
      if let expected = row["bucket_id_func_offset"], !expected.isEmpty {
        #expect(bucket.functionOffset == expected)
      }
      checked += 1
    }
    #expect(checked >= 6)
  }

  @Test("the shipped pipelines/rules/bucketing.json is the built-in rules")
  func shippedRules() throws {
    let shipped = try BucketRules.load(path: "\(Corpus.packageRoot)/pipelines/rules/bucketing.json")
    #expect(
      try String(
        contentsOfFile: "\(Corpus.packageRoot)/pipelines/rules/bucketing.json", encoding: .utf8
      )
      .trimmingCharacters(in: .whitespacesAndNewlines)
        == BucketRules.defaultText.trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(shipped.version == BucketRules.defaults.version)
  }

  static func forge(_ scenario: ForgeScenario, _ dir: TemporaryDirectory) throws -> Forge.Output {
    try Forge.run(scenario, images: "\(Corpus.packageRoot)/samples/images", output: dir.path)
  }

  static func scenario(_ name: String) throws -> ForgeScenario {
    try Forge.load(scenario: "\(Corpus.packageRoot)/samples/scenarios/\(name).json")
  }

  static func bucket(_ dump: String, store: String) throws -> CrashBucket {
    if dump.hasSuffix("-minidump.dmp") {
      let minidump = try Minidump(file: MappedFile(path: dump))
      let stack = ThreadStack.crashingThread(
        of: minidump, symbols: SymbolTableCache(path: SymbolPath(parsing: "srv*\(store)")))
      return Bucketer.bucket(
        try #require(Bucketer.crash(of: minidump)), frames: stack.map(Bucketer.frames) ?? [],
        rules: .defaults)
    }
    // As `explain` and `analyze` do: the walk from the fault context, the faulting frame as the
    // answer of last resort.
    let kernel = try KernelDump(path: dump)
    let stack = ThreadStack.crashingThread(
      of: kernel, symbols: SymbolTableCache(path: SymbolPath(parsing: "srv*\(store)")))
    return Bucketer.bucket(
      Bucketer.crash(of: kernel), frames: stack.map(Bucketer.frames) ?? [], rules: .defaults,
      context: stack?.faultContext, faultingFrame: Bucketer.faultingFrame(of: kernel))
  }

  /// The kernel scenarios shipped in samples/scenarios.
  static let kernelScenarios = SampleScenarios.names.filter {
    !((try? scenario($0))?.dumps.contains("minidump") ?? true)
  }

  /// Checks one forged dump's bucket against its scenario: the blamed image and function, the
  /// FAILURE_BUCKET_ID, how the frame was found, and that a bug check given its real trap frame
  /// or context record (`trap`, `context@…` in the scenario) was walked from it.
  static func check(
    _ bucket: CrashBucket, dump: String, scenario: ForgeScenario, parameters: [String]
  ) throws {
    let blame = try #require(scenario.blame)
    let (image, function) = (
      String(blame.split(separator: "!")[0]), String(blame.split(separator: "!")[1])
    )
    #expect(bucket.imageName == image, "\(dump)")
    // A driver shipped without its PDB is blamed by image, as unknown_function.
    let named = !(scenario.unsymbolized ?? []).contains(image)
    #expect(bucket.function == (named ? function : nil), "\(dump)")
    let stem = String(image.split(separator: ".")[0])
    // Access violations carry the AV_ prefix whatever the bug check that reported them; other
    // bug checks name their bucket in the scenario.
    #expect(bucket.failureBucketID == (scenario.bucket ?? "AV_\(stem)!\(function)"), "\(dump)")
    #expect(bucket.mode == (dump.hasSuffix("-minidump.dmp") ? "um" : "km"))
    guard !dump.hasSuffix("-minidump.dmp") else {
      #expect(bucket.trust == "context")
      return
    }
    // Kernel faults are blamed on the frame the trap frame restored: reached through it by the
    // walk (trust `trap`), or frame 0 of the walk from the fault context (trust `context`).
    #expect(bucket.trust == (bucket.faultContext == nil ? "trap" : "context"), "\(dump)")
    let values = parameters.compactMap { UInt64($0.dropFirst(2), radix: 16) }
    if scenario.parameters.contains(where: { $0 == "trap" || $0.hasPrefix("context@") }),
      let code = UInt32(scenario.bugCheck.dropFirst(2), radix: 16),
      let named = ThreadStack.namedFaultContext(code: code, parameters: values)
    {
      #expect(bucket.faultContext == named, "\(dump)")
    }
  }

  /// The resolved bug-check parameters a forged dump's truth file lists.
  static func parameters(_ truth: String) throws -> [String] {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(ForgeTruth.self, from: Data(contentsOf: URL(fileURLWithPath: truth)))
      .parameters
  }

  @Test(
    "forged dumps: the blamed frame is the scenario's, in every dump kind",
    arguments: SampleScenarios.names)
  func forged(name: String) throws {
    let dir = TemporaryDirectory()
    let scenario = try Self.scenario(name)
    let output = try Self.forge(scenario, dir)
    #expect(!output.dumps.isEmpty)
    for (dump, truth) in zip(output.dumps, output.truths) {
      let bucket = try Self.bucket(dump, store: output.store)
      try Self.check(bucket, dump: dump, scenario: scenario, parameters: try Self.parameters(truth))
      #expect(bucket.skipped.allSatisfy { $0.symbol.hasPrefix("nt!") }, "\(dump)")
    }
    // The rules alone would pass over every kernel frame above the fault too: the sample
    // kernel's plumbing carries the real names (MiSystemFault, KiFastFailDispatch,
    // PspSystemThreadStartup$filt$0, …), which the followup_skip patterns must know.
    guard let truth = output.truths.first, !scenario.dumps.contains("minidump") else { return }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let frames = try decoder.decode(
      ForgeTruth.self, from: Data(contentsOf: URL(fileURLWithPath: truth))
    ).frames
    let code = try #require(UInt64(scenario.bugCheck.dropFirst(2), radix: 16))
    for frame in frames.prefix(while: { $0.trust != "trap" }) {
      #expect(
        BucketRules.defaults.skip(image: frame.module, function: frame.function, bugcheck: code)
          != nil, "\(frame.module)!\(frame.function) is not plumbing to the rules")
    }
  }

  @Test(
    "forged dumps without nt symbols (neither ntkrnlmp.pdb nor the kernel image in the store): the same blame",
    arguments: kernelScenarios)
  func forgedWithoutKernelSymbols(name: String) throws {
    let dir = TemporaryDirectory()
    let scenario = try Self.scenario(name)
    let output = try Self.forge(scenario, dir)
    for folder in ["ntkrnlmp.pdb", "ntoskrnl.exe"] {
      try FileManager.default.removeItem(atPath: "\(output.store)/\(folder)")
    }
    #expect(!output.dumps.isEmpty)
    for (dump, truth) in zip(output.dumps, output.truths) {
      let bucket = try Self.bucket(dump, store: output.store)
      // Every kernel frame is `nt+0x…`: no name tells the plumbing apart.
      #expect(bucket.skipped.allSatisfy { $0.symbol.hasPrefix("nt+") }, "\(dump)")
      if scenario.bugCheck == "0x133", dump.hasSuffix("-triage.dmp") {
        // A known limit: 0x133 names neither a trap frame nor a faulting address, and a triage
        // dump holds no kernel image, so nothing leads past the clock interrupt's nt frames to
        // the DPC (full and bitmap dumps carry the image and are walked through).
        #expect(bucket.failureBucketID == "0x133_ISR_nt!unknown_function", "\(dump)")
        continue
      }
      try Self.check(bucket, dump: dump, scenario: scenario, parameters: try Self.parameters(truth))
    }
  }

  @Test(
    "one bug, two builds and two offsets: one bucket; without the driver's PDB: unknown_function")
  func sameBug() throws {
    let dir = TemporaryDirectory()
    let first = try Self.forge(Self.scenario("d1-crashdrv-build1"), dir)
    let build1 = try Self.bucket(try #require(first.dumps.first), store: first.store)
    let dir2 = TemporaryDirectory()
    let second = try Self.forge(Self.scenario("d1-crashdrv-build2"), dir2)
    let build2 = try Self.bucket(try #require(second.dumps.first), store: second.store)
    #expect(build1.failureBucketID == build2.failureBucketID)
    #expect(build1.failureIDHash == build2.failureIDHash)
    // The same function faulting at another instruction (the copy loop's store, +0x44).
    var moved = try Self.scenario("d1-crashdrv-build1")
    moved.name = "d1-crashdrv-moved"
    moved.dumps = ["full"]
    moved.stack = moved.stack.map {
      $0.hasPrefix("crashdrv.sys!CopyRecord") ? "crashdrv.sys!CopyRecord+0x44" : $0
    }
    let dir3 = TemporaryDirectory()
    let third = try Self.forge(moved, dir3)
    let other = try Self.bucket(try #require(third.dumps.first), store: third.store)
    #expect(other.functionOffset == "44")
    #expect(other.failureBucketID == build1.failureBucketID)
    // Without crashdrv.pdb in the store: the image still unwinds, but names nothing.
    try FileManager.default.removeItem(atPath: "\(third.store)/crashdrv.pdb")
    let bare = try Self.bucket(try #require(third.dumps.first), store: third.store)
    #expect(bare.failureBucketID == "AV_crashdrv!unknown_function")
    #expect(bare.symbolName == "crashdrv+1044")
    #expect(!bare.symbolized)
  }

  @Test(
    "triage_x64 with amdppm.pdb: AV_amdppm!WriteIoMemRawEx, as WinDbg's grammar gives it",
    .requires(.corpus))
  func amdppm() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    let (guid, age) = try #require(
      StubPEImage.guidAndAge(debugID: "1C19FDDB27BB3399D9B45973EFEAFCF31"))
    let folder = dir.file("store/amdppm.sys/C9C030003b000")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Data(
      StubPEImage.bytes(
        timeDateStamp: 0xC9C0_3000, sizeOfImage: 0x3B000, pdbName: "amdppm.pdb", guid: guid,
        age: age)
    ).write(to: URL(fileURLWithPath: "\(folder)/amdppm.sys"))
    let cache = SymbolTableCache(
      path: SymbolPath(parsing: "srv*\(dir.file("store"));srv*\(root)/kernel/symbols"))
    let kernel = try KernelDump(file: MappedFile(path: "\(root)/kernel/triage_x64.dmp"))
    let stack = ThreadStack.crashingThread(of: kernel, symbols: cache)
    let bucket = Bucketer.bucket(
      Bucketer.crash(of: kernel), frames: stack.map(Bucketer.frames) ?? [], rules: .defaults)
    #expect(bucket.symbolName == "amdppm!WriteIoMemRawEx+70")
    #expect(bucket.moduleName == "amdppm")
    #expect(bucket.imageName == "amdppm.sys")
    #expect(bucket.functionOffset == "70")
    #expect(bucket.failureBucketID == "AV_amdppm!WriteIoMemRawEx")
    #expect(bucket.failureIDHash == FailureIDHash.of("AV_amdppm!WriteIoMemRawEx", kernelMode: true))
  }

  @Test("skip patterns: `*` globs over lower-cased module!function, a rule's bug checks")
  func skipGlobs() throws {
    let cases: [(String, String, Bool)] = [
      ("nt!kibugcheck*", "nt!kibugcheckex", true),
      ("nt!kibugcheck*", "nt!kibugcheck", true),
      ("nt!kibugcheck*", "nt!kebugcheckex", false),
      ("*!*$filt$*", "mydrv!dispatch$filt$0", true),
      ("*!*$filt$*", "mydrv!dispatch$fin$0", false),
      ("nt!rtl", "nt!rtl", true),
      ("nt!rtl", "nt!rtlx", false),
      ("a*a", "a", false),
      ("a*a", "aa", true),
      ("a*b*b", "ab", false),
      ("a*b*b", "abb", true),
      ("*", "", true),
      ("**", "x", true),
      ("", "", true),
      ("", "x", false),
      ("x*", "", false),
      ("nt+*", "nt+", true),
      ("ñt!*", "ñt!f", true),
    ]
    for (pattern, text, expected) in cases {
      #expect(BucketRules.matches(pattern, text) == expected, "\(pattern) vs \(text)")
    }
    let rules = try BucketRules(
      data: Data(
        """
        {"version": 1, "module_aliases": {"ntoskrnl.exe": "nt"},
         "followup_skip": [
           {"pattern": "NT!KeBugCheck*", "why": "the bug check itself"},
           {"pattern": "mydrv!Only133*", "why": "0x133 only", "bugchecks": ["0x133"]},
           {"pattern": "nt+*", "why": "kernel without symbols", "last_resort": true}]}
        """.utf8), name: "test")
    #expect(
      rules.skip(image: "ntoskrnl.exe", function: "KeBugCheckEx")?.why == "the bug check itself")
    #expect(
      rules.skip(image: "NTOSKRNL.EXE", function: "kebugcheck2")?.why == "the bug check itself")
    #expect(rules.skip(image: "ntoskrnl.exe", function: nil)?.why == "kernel without symbols")
    #expect(rules.skip(image: "mydrv.sys", function: "Only133Path", bugcheck: 0x133) != nil)
    #expect(rules.skip(image: "mydrv.sys", function: "Only133Path", bugcheck: 0xD1) == nil)
    #expect(rules.skip(image: "mydrv.sys", function: "Only133Path") == nil)
    #expect(rules.skip(image: "mydrv.sys", function: "Other", bugcheck: 0x133) == nil)
  }
}
