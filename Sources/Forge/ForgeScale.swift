import Dispatch
import Foundation
import Synchronization

/// `crashsift forge --scale N`: a corpus for benchmarks and demos, made in seconds. N dumps (kernel
/// triage dumps and user minidumps) over K nights and three product builds, from the shipped scenarios and variants of them
/// (the fault moved to each driver function on the stack, so there are more buckets than
/// scenarios), with a realistic bucket frequency: a few big buckets and a long tail (Zipf weights).
/// Writes bare dumps under `nights/<date>/<build>/` named `<index>_PC-<machine>.dmp`, a manifest with exposure counts, a symbol
/// store and `truth.jsonl` (each dump's scenario, variant and blamed frame).
public enum ForgeScale {
  public struct Summary: Sendable {
    public var dumps: Int
    public var variants: Int
    public var manifest: String
    public var seconds: Double
  }

  /// The product builds of the embedded sample corpus (corpus-manifest.json), oldest first.
  static let builds = [
    ("contoso-4.1.9", "2026-10-20"), ("contoso-4.2.0", "2026-11-02"),
    ("contoso-4.2.1", "2026-11-19"),
  ]

  /// `nights` consecutive nights ending 2026-11-22 (the sample corpus's last night).
  static func nightList(_ count: Int) -> [String] {
    let first = max(1, 23 - min(max(count, 1), 22))
    return (first...22).map { String(format: "2026-11-%02d", $0) }
  }

  public static func run(
    count: Int, scenarios: [ForgeScenario], images: String, output: String,
    nights nightCount: Int = 7
  ) throws(ForgeError) -> Summary {
    let nights = nightList(nightCount)
    let started = DispatchTime.now().uptimeNanoseconds
    guard count > 0 else { throw ForgeError("--scale needs a positive number of dumps") }
    var cache: [String: ForgeImage] = [:]
    var variants: [(prepared: Forge.Prepared, blame: String, builds: [String])] = []
    // Kernel scenarios give triage dumps, user-mode ones minidumps.
    for scenario in scenarios {
      for variant in try Self.variants(of: scenario, images: images, cache: &cache) {
        variants.append(variant)
      }
    }
    guard !variants.isEmpty else { throw ForgeError("no scenarios to scale") }
    // A fixed shuffle, then Zipf weights 1/rank^1.1: rank order decides the big buckets.
    var generator = SplitMix(seed: 0xC0FFEE)
    variants.shuffle(using: &generator)
    let weights = variants.indices.map { 1.0 / pow(Double($0 + 1), 1.1) }

    // Pick every dump's night, build and variant up front, reproducibly.
    var plan: [(night: Int, build: Int, variant: Int, seed: UInt64)] = []
    plan.reserveCapacity(count)
    for _ in 0..<count {
      let night = Int(generator.next() % UInt64(nights.count))
      // Builds released by that night; the newest one ramps up over ten days, the older ones
      // share the rest.
      let released = builds.indices.filter { builds[$0].1 <= nights[night] }
      let newest = released.last ?? 0
      let days = Double(ordinal(nights[night]) - ordinal(builds[newest].1))
      let newShare = released.count == 1 ? 1 : min(0.8, max(0.1, days / 10))
      let build =
        generator.unit() < newShare
        ? newest : released[Int(generator.next() % UInt64(max(1, released.count - 1)))]
      let allowed = variants.indices.filter {
        variants[$0].builds.isEmpty || variants[$0].builds.contains(builds[build].0)
      }
      let total = allowed.reduce(0.0) { $0 + weights[$1] }
      var pick = generator.unit() * total
      var chosen = allowed.last ?? 0
      for index in allowed {
        pick -= weights[index]
        if pick <= 0 {
          chosen = index
          break
        }
      }
      plan.append((night, build, chosen, generator.next()))
    }
    let manager = FileManager.default
    for night in nights {
      for build in builds {
        try create("\(output)/nights/\(night)/\(build.0)", manager)
      }
    }
    // Drivers shipped without a PDB (a scenario's `unsymbolized`) keep only their image.
    let withoutPDB = Set(scenarios.flatMap { $0.unsymbolized ?? [] }.map { $0.lowercased() })
    try Forge.writeStore(
      Array(Set(cache.values.map(\.path))).sorted().compactMap { path in
        cache.values.first { $0.path == path }
      }, to: "\(output)/store", withoutPDB: withoutPDB)
    let truth = Mutex<[String]>(Array(repeating: "", count: count))
    let failure = Mutex<ForgeError?>(nil)
    let frozen = variants
    let schedule = plan
    let jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    DispatchQueue.concurrentPerform(iterations: jobs) { worker in
      for index in stride(from: worker, to: count, by: jobs) {
        let item = schedule[index]
        let variant = frozen[item.variant]
        let name = String(format: "%06d_PC-%05d.dmp", index, machine(seed: item.seed))
        let path = "\(output)/nights/\(nights[item.night])/\(builds[item.build].0)/\(name)"
        do {
          let user = variant.prepared.scenario.dumps.contains("minidump")
          var forge = StackForge(
            seed: item.seed, stack: user ? StackForge.userStack : StackForge.kernelStack)
          var layout = try forge.layout(variant.prepared.entries)
          let parameters = try variant.prepared.parameters(&layout)
          let bytes = try Forge.dump(
            user ? "minidump" : "triage", modules: variant.prepared.modules, layout: layout,
            code: variant.prepared.code, parameters: parameters)
          try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch let error as ForgeError {
          failure.withLock { $0 = $0 ?? error }
          return
        } catch {
          failure.withLock { $0 = $0 ?? ForgeError("cannot write \(path): \(error)") }
          return
        }
        let line: [String: String] = [
          "file": "nights/\(nights[item.night])/\(builds[item.build].0)/\(name)",
          "night": nights[item.night], "build": builds[item.build].0,
          "scenario": variant.prepared.scenario.name, "blame": variant.blame,
        ]
        let json =
          (try? JSONSerialization.data(
            withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes]))
          .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        truth.withLock { $0[index] = json }
      }
    }
    if let error = failure.withLock({ $0 }) { throw error }
    let manifest = "\(output)/manifest.json"
    let nightsUsed = nights
    do {
      try (truth.withLock { $0 }.joined(separator: "\n") + "\n").write(
        toFile: "\(output)/truth.jsonl", atomically: true, encoding: .utf8)
      try Self.manifest(count: count, nights: nightsUsed).write(
        toFile: manifest, atomically: true, encoding: .utf8)
    } catch {
      throw ForgeError("cannot write \(output): \(error.localizedDescription)")
    }
    return Summary(
      dumps: count, variants: variants.count, manifest: manifest,
      seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
  }

  /// The machine a dump came from, out of a fleet of 4,000: three crashes in ten come from 40
  /// flaky machines, so distinct-machine counts differ from crash counts as in the field. Derived
  /// from the dump's own seed so that adding it moved no other choice of the plan.
  static func machine(seed: UInt64) -> Int {
    var mixer = SplitMix(seed: seed ^ 0x6D61_6368_696E_6521)
    let value = mixer.next()
    return value % 10 < 3 ? Int((value / 10) % 40) : 40 + Int((value / 10) % 3960)
  }

  /// A day number good enough to count days between two `YYYY-MM-DD` dates of one year.
  static func ordinal(_ date: String) -> Int {
    let parts = date.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3 else { return 0 }
    let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
    return before[max(0, min(11, parts[1] - 1))] + parts[2]
  }

  static func create(_ path: String, _ manager: FileManager) throws(ForgeError) {
    do {
      try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw ForgeError("cannot create \(path): \(error.localizedDescription)")
    }
  }

  /// The scenario itself and, for every driver frame between the first driver frame and the
  /// faulting one, the same crash with the fault moved to that frame (at its first instruction
  /// after the prologue).
  static func variants(
    of scenario: ForgeScenario, images: String, cache: inout [String: ForgeImage]
  ) throws(ForgeError) -> [(prepared: Forge.Prepared, blame: String, builds: [String])] {
    let prepared = try Forge.prepare(scenario, images: images, cache: &cache)
    var result = [(prepared, scenario.blame ?? "", scenario.builds ?? [])]
    let entries = prepared.entries
    guard let fault = entries.indices.dropLast().first(where: { entries[$0].offset != nil }),
      let kernel = prepared.modules.first?.name
    else { return result }
    let tail = Array(scenario.stack[(fault + 1)...])
    for index in 0..<fault where entries[index].image.name != kernel {
      let entry = entries[index]
      guard let function = entry.image.runtimeFunction(at: entry.rva),
        let info = try? entry.image.image.unwindInfo(rva: function.unwindInfo)
      else { continue }
      var variant = scenario
      variant.name = "\(scenario.name)@\(entry.function)"
      variant.stack =
        Array(scenario.stack[..<index])
        + ["\(entry.image.name)!\(entry.function)+0x\(String(info.prologSize, radix: 16))"] + tail
      let moved = try Forge.prepare(variant, images: images, cache: &cache)
      result.append((moved, "\(entry.image.name)!\(entry.function)", scenario.builds ?? []))
    }
    return result
  }

  static func manifest(count: Int, nights: [String]) -> String {
    var exposure: [String] = []
    for (index, night) in nights.enumerated() {
      // 4,000 machines; each release takes over from the previous ones within about ten days.
      let released = builds.filter { $0.1 <= night }
      let newest = 400 + (index % 10) * 300
      for (position, build) in released.enumerated() {
        let machines =
          released.count == 1
          ? 4000
          : position == released.count - 1 ? newest : (4000 - newest) / (released.count - 1)
        exposure.append(
          #"    {"build": "\#(build.0)", "date": "\#(night)", "machines": \#(machines)}"#)
      }
    }
    let batches = nights.map { night in
      #"    {"id": "\#(night)", "date": "\#(night)", "archives": ["#
        + builds.map { #"{"path": "nights/\#(night)/\#($0.0)/*.dmp", "build": "\#($0.0)"}"# }
        .joined(separator: ", ") + "]}"
    }
    return """
      {
        "version": 1,
        "description": "crashsift forge --scale \(count): forged dumps of the sample kernel, drivers and app over \(nights.count) nights and three builds.",
        "output": "out",
        "symbol_path": ["srv*store"],
        "machine_pattern": "(PC-[0-9]+)",
        "builds": [
          {"label": "contoso-4.1.9", "date": "2026-10-20", "drivers": {"crashdrv.sys": "1.0.0.1"}},
          {"label": "contoso-4.2.0", "date": "2026-11-02", "drivers": {"crashdrv.sys": "1.0.0.1"}},
          {"label": "contoso-4.2.1", "date": "2026-11-19", "drivers": {"crashdrv.sys": "1.0.0.2"}}
        ],
        "exposure": [
      \(exposure.joined(separator: ",\n"))
        ],
        "batches": [
      \(batches.joined(separator: ",\n"))
        ]
      }

      """
  }
}

/// SplitMix64 (Steele, Lea, Flood 2014) as a RandomNumberGenerator: reproducible corpora.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// A double in [0, 1).
  mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
