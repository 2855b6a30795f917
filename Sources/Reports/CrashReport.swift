import Foundation
import GRDB

/// The aggregates of a workspace that the morning report shows, computed from the checkpoint
/// database and the manifest's nights, builds and exposure: crashes per night, buckets with their
/// first and last night, and failure rates per build and blamed driver with exact Poisson intervals
/// and the exact test against the previous build.
public struct CrashReport: Codable, Sendable, Equatable {
  public struct Night: Codable, Sendable, Equatable {
    public var date: String
    public var crashes: Int
    public var topBucket: String?
  }

  /// A count of crashes under a name (a build, a driver version, an OS version).
  public struct Count: Codable, Sendable, Equatable {
    public var name: String
    public var crashes: Int
  }

  /// One example crash of a bucket (up to `examplesPerOffset` per distinct offset, as WER keeps
  /// cabs per hit): where it came from.
  public struct Example: Codable, Sendable, Equatable {
    public var offset: String
    public var night: String
    public var build: String
    public var machine: String
    public var archive: String
    public var entry: String
    public var dump: String
  }

  /// Crashes of one bucket in one night and build.
  public struct NightBuild: Codable, Sendable, Equatable {
    public var night: String
    public var build: String
    public var crashes: Int
  }

  public struct Bucket: Codable, Sendable, Equatable {
    public var failureBucketID: String
    public var failureIDHash: String
    /// `kernel` or `user`, and the bug check or exception code.
    public var mode: String
    public var code: String
    public var crashes: Int
    /// Distinct machines (nil when the manifest names no `machine_pattern`).
    public var machines: Int?
    public var firstNight: String
    public var lastNight: String
    public var lastNightCrashes: Int
    /// First seen on the newest night of the report.
    public var isNew: Bool
    /// The earliest build (in the manifest's release order) with a crash of the bucket.
    public var firstBuild: String?
    /// First seen in the manifest's newest build (and it has an older one): new with that
    /// release, whatever the night.
    public var newInBuild = false
    public var perBuild: [Count] = []
    /// Crashes per night and build, nights in order.
    public var perNight: [NightBuild] = []
    public var imageVersions: [Count] = []
    public var osVersions: [Count] = []
    public var examples: [Example] = []
    /// The most common Socorro signature of its crashes (user-mode buckets).
    public var socorroSignature: String?
    /// What the team said about it (`annotations.json`), if anything.
    public var annotation: Annotations.Entry?
    /// Crashes in the annotation's `fixed_in` build or a later one (manifest order); nil when
    /// the bucket is not marked fixed.
    public var crashesSinceFix: Int?
    /// Marked fixed in a build, and crashing in that build or a later one.
    public var regressedAfterFix = false
    /// What its crashes have in common far more often than other crashes of the same builds.
    public var correlations: [Correlation] = []
  }

  /// A blamed driver (or user-mode image) across builds: its versions and the buckets it is
  /// blamed for; its rates per build are the `rates` rows of the same image.
  public struct Driver: Codable, Sendable, Equatable {
    public struct BlamedBucket: Codable, Sendable, Equatable {
      public var failureBucketID: String
      public var failureIDHash: String
      public var crashes: Int
      /// Crashes per build, builds in release order.
      public var perBuild: [Count]
    }
    public var image: String
    public var crashes: Int
    public var versions: [Count]
    /// Most crashes first.
    public var buckets: [BlamedBucket]
  }

  public struct DriverRate: Codable, Sendable, Equatable {
    public var build: String
    public var image: String
    public var crashes: Int
    /// Distinct machines among them (nil when machines are unknown).
    public var machines: Int?
    /// The driver's share of the build's crashes (0…1): what is left to compare when there is
    /// no exposure.
    public var share: Double = 0
    /// Machine-days of the build over the report's nights (the manifest's exposure).
    public var machineDays: Int64
    /// Crashes per 10,000 machine-days and its exact 95% interval; nil below the population gate.
    public var rate: Double?
    public var rateLow: Double?
    public var rateHigh: Double?
    /// Against the same driver in the previous build: rate ratio and exact two-sided p-value.
    public var previousBuild: String?
    public var ratio: Double?
    public var pValue: Double?
    public var note: String?
  }

  /// A Top Crashers table (Socorro's): the buckets of the last `nights` nights with their rank in
  /// the window before (nil: not in it).
  public struct Window: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
      public var failureBucketID: String
      public var crashes: Int
      public var rank: Int
      public var previousRank: Int?
      public var previousCrashes: Int
    }
    public var nights: Int
    /// Whether the report has nights before the window (else there is no rank to compare).
    public var hasPrevious: Bool
    public var entries: [Entry]
  }

  /// A bucket whose last night stands out: new, back after quiet nights, or spiking.
  public struct Trend: Codable, Sendable, Equatable {
    public var failureBucketID: String
    /// `new`, `regressed` or `spiking`.
    public var kind: String
    public var lastNightCrashes: Int
    /// The mean crashes per night over the trailing baseline (spiking) or the quiet nights
    /// (regressed).
    public var baseline: Double
    /// One-sided exact Poisson p-value of the last night against the baseline (spiking).
    public var pValue: Double?
  }

  /// Below this many machine-days a rate is not shown ("too few machines to rate").
  public static let minimumMachineDays: Int64 = 1000
  /// A bucket absent this many nights before reappearing is "regressed".
  public static let quietNights = 3
  /// Spiking: at least this many crashes last night, and P(X ≥ count | baseline) below `spikeP`
  /// with the baseline the mean of the trailing `baselineNights` nights (at least 0.5).
  public static let spikeMinimum = 3
  public static let spikeP = 0.01
  public static let baselineNights = 7
  /// Example dumps kept per distinct BUCKET_ID_FUNC_OFFSET of a bucket.
  public static let examplesPerOffset = 10

  public var nights: [Night]
  public var buckets: [Bucket]
  public var rates: [DriverRate]
  public var hasExposure: Bool
  public var windows: [Window] = []
  public var trends: [Trend] = []
  /// Archives, dumps, failures and symbol coverage of the workspace.
  public var health = WorkspaceHealth()
  /// Annotated hashes that match no bucket of the workspace (a typo, or a bucket not seen).
  public var unmatchedAnnotations: [String] = []
  /// What a morning reader must act on (`alerts.json`, `digest.md`, `run --fail-on`).
  public var alerts: [Alert] = []
  /// Every blamed image, most crashes first (one page each).
  public var drivers: [Driver] = []

  /// Builds the report from `database`. `batchDates` maps batch ids to their night; `builds` is in
  /// release order; `exposure` holds machines per (build, night). `machinePattern` (the
  /// manifest's) names the machine of each crash; paths under `baseDirectory` are shown relative
  /// to it.
  public static func build(
    database: DatabaseQueue, batchDates: [String: String], builds: [String],
    exposure: [(build: String, date: String, machines: Int64)], machinePattern: String? = nil,
    baseDirectory: String? = nil, driverVersions: [String: [String: String]] = [:],
    annotations: Annotations = Annotations()
  ) throws -> CrashReport {
    // Driver name → version per build, keyed case-insensitively as Windows names files.
    let shipped = driverVersions.mapValues { map in
      Dictionary(map.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    }
    // One row per occurrence of a bucketed dump; a dump counts once per (night, build), with its
    // first occurrence (by archive and entry path) as its origin.
    let machineExpression = try machinePattern.map { try NSRegularExpression(pattern: $0) }
    let relative = RelativePath(base: baseDirectory)
    // Streamed through a cursor, with repeated strings (buckets, builds, versions, archives)
    // shared: 100,000 materialised rows held several times the memory of the crashes themselves.
    let crashes = try database.read { db -> [Crash] in
      var pool: [String: String] = [:]
      func shared(_ text: String) -> String {
        if let known = pool[text] { return known }
        pool[text] = text
        return text
      }
      func shared(_ text: String?) -> String? { text.map { shared($0) } }
      var result: [Crash] = []
      var previous = ""
      let cursor = try Row.fetchCursor(
        db,
        sql: """
          SELECT o.dump_sha256, o.batch, o.entry_path, a.path AS archive, a.build,
            b.failure_bucket_id, b.failure_id_hash, b.image_name, b.mode, b.code,
            b.function_offset, b.image_version, p.os_version, p.cpu, b.socorro_signature
          FROM occurrences o JOIN archives a ON a.sha256 = o.archive_sha256
          JOIN buckets b ON b.dump_sha256 = o.dump_sha256
          LEFT JOIN parsed_dumps p ON p.dump_sha256 = o.dump_sha256
          ORDER BY o.dump_sha256, o.batch, a.build, a.path, o.entry_path
          """)
      // Columns by position: a name lookup per cell costs more than the rest of the loop.
      while let row = try cursor.next() {
        let dump: String = row[0]
        let batch: String = row[1]
        let build: String? = row[4]
        // Rows come sorted by dump, night and build: the first of each is the crash's origin.
        let key = "\(dump)\u{1}\(batch)\u{1}\(build ?? "")"
        guard key != previous else { continue }
        previous = key
        let entry: String = row[2]
        let archive: String = row[3]
        let image: String = row[7]
        result.append(
          Crash(
            dump: dump, night: shared(batchDates[batch] ?? batch), build: shared(build),
            bucket: shared(row[5] as String), hash: shared(row[6] as String), image: shared(image),
            mode: shared(row[8] as String), code: shared(row[9] as String),
            offset: shared(row[10] as String),
            imageVersion: shared(
              (row[11] as String?)
                ?? shipped[build ?? ""]?[image.lowercased()].map {
                  "\($0) (the build's, per the manifest)"
                }),
            osVersion: shared(row[12] as String?), cpu: shared(row[13] as String?),
            signature: shared(row[14] as String?),
            machine: shared(
              machineExpression.flatMap {
                Self.machine(in: entry, $0) ?? Self.machine(in: archive, $0)
              }),
            archive: shared(relative.of(archive)), entry: entry))
      }
      return result
    }
    let knowsMachines = machineExpression != nil
    func machineCount(_ group: [Crash]) -> Int? {
      knowsMachines ? Set(group.compactMap(\.machine)).count : nil
    }
    let nightList = Set(crashes.map(\.night)).sorted()
    let newest = nightList.last
    var nights: [Night] = []
    for night in nightList {
      let tonight = crashes.filter { $0.night == night }
      let counts = Dictionary(grouping: tonight, by: \.bucket).mapValues(\.count)
      let top = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
      nights.append(Night(date: night, crashes: tonight.count, topBucket: top))
    }
    var buckets: [Bucket] = []
    for (id, group) in Dictionary(grouping: crashes, by: \.bucket) {
      let seen = group.map(\.night).sorted()
      let first = seen.first ?? ""
      var bucket = Bucket(
        failureBucketID: id, failureIDHash: group.first?.hash ?? "",
        mode: group.first?.mode ?? "", code: group.first?.code ?? "", crashes: group.count,
        machines: machineCount(group), firstNight: first, lastNight: seen.last ?? "",
        lastNightCrashes: group.filter { $0.night == newest }.count, isNew: first == newest)
      bucket.perBuild = counts(group.map { $0.build ?? "(no build)" }, order: builds)
      let seenBuilds = Set(group.compactMap(\.build))
      bucket.firstBuild = builds.first { seenBuilds.contains($0) }
      bucket.newInBuild =
        builds.count > 1 && bucket.firstBuild != nil && bucket.firstBuild == builds.last
      let cells = Dictionary(grouping: group) { "\($0.night)\u{1}\($0.build ?? "(no build)")" }
      bucket.perNight = cells.map { key, list in
        let parts = key.split(separator: "\u{1}", omittingEmptySubsequences: false)
        return NightBuild(
          night: String(parts.first ?? ""), build: String(parts.last ?? ""), crashes: list.count)
      }.sorted {
        ($0.night, builds.firstIndex(of: $0.build) ?? .max, $0.build)
          < ($1.night, builds.firstIndex(of: $1.build) ?? .max, $1.build)
      }
      bucket.imageVersions = counts(group.map { $0.imageVersion ?? "(unknown)" })
      bucket.osVersions = counts(group.map { $0.osVersion ?? "(unknown)" })
      // Newest examples first, up to `examplesPerOffset` per offset, offsets by frequency.
      let byOffset = Dictionary(grouping: group, by: \.offset)
      for offset in byOffset.keys.sorted(by: {
        (byOffset[$1]?.count ?? 0, $0) < (byOffset[$0]?.count ?? 0, $1)
      }) {
        let picked = (byOffset[offset] ?? []).sorted {
          ($1.night, $0.archive, $0.entry) < ($0.night, $1.archive, $1.entry)
        }.prefix(examplesPerOffset)
        bucket.examples += picked.map {
          Example(
            offset: offset, night: $0.night, build: $0.build ?? "", machine: $0.machine ?? "",
            archive: $0.archive, entry: $0.entry, dump: $0.dump)
        }
      }
      bucket.socorroSignature = counts(group.compactMap(\.signature)).first?.name
      bucket.annotation = annotations.entry(
        hash: bucket.failureIDHash, signature: bucket.socorroSignature)
      if let fixed = bucket.annotation?.fixedIn, let index = builds.firstIndex(of: fixed) {
        let since = Set(builds[index...])
        bucket.crashesSinceFix = group.filter { since.contains($0.build ?? "") }.count
        bucket.regressedAfterFix = (bucket.crashesSinceFix ?? 0) > 0
      }
      buckets.append(bucket)
    }
    let found = try correlations(crashes, database: database)
    for index in buckets.indices {
      buckets[index].correlations = found[buckets[index].failureBucketID] ?? []
    }
    buckets.sort { ($1.crashes, $0.failureBucketID) < ($0.crashes, $1.failureBucketID) }
    // Exposure over the report's nights.
    let covered = Set(nightList)
    var machineDays: [String: Int64] = [:]
    for item in exposure where covered.contains(item.date) {
      machineDays[item.build, default: 0] += item.machines
    }
    var rates: [DriverRate] = []
    let perDriver = Dictionary(grouping: crashes.filter { $0.build != nil }) {
      "\($0.build ?? "")\u{1}\($0.image)"
    }
    for build in builds {
      let images = Set(crashes.filter { $0.build == build }.map(\.image)).sorted()
      for image in images {
        let group = perDriver["\(build)\u{1}\(image)"] ?? []
        let count = group.count
        let days = machineDays[build] ?? 0
        var rate = DriverRate(
          build: build, image: image, crashes: count, machines: machineCount(group),
          machineDays: days, rate: nil, rateLow: nil,
          rateHigh: nil, previousBuild: nil, ratio: nil, pValue: nil, note: nil)
        if days >= minimumMachineDays {
          let scale = 10_000 / Double(days)
          let interval = Statistics.poisson(count)
          rate.rate = Double(count) * scale
          rate.rateLow = interval.low * scale
          rate.rateHigh = interval.high * scale
        } else {
          rate.note =
            days == 0 ? "no exposure data: counts only" : "too few machines to rate"
        }
        if let index = builds.firstIndex(of: build), index > 0 {
          let previous = builds[index - 1]
          let before = perDriver["\(previous)\u{1}\(image)"]?.count ?? 0
          let previousDays = machineDays[previous] ?? 0
          rate.previousBuild = previous
          if days >= minimumMachineDays, previousDays >= minimumMachineDays, before > 0 {
            rate.ratio = (Double(count) / Double(days)) / (Double(before) / Double(previousDays))
            rate.pValue = Statistics.rateRatioPValue(
              count, Double(days), before, Double(previousDays))
          }
        }
        let buildTotal = crashes.filter { $0.build == build }.count
        rate.share = buildTotal == 0 ? 0 : Double(count) / Double(buildTotal)
        rates.append(rate)
      }
    }
    var report = CrashReport(
      nights: nights, buckets: buckets, rates: rates, hasExposure: !machineDays.isEmpty)
    var perNight: [String: [String: Int]] = [:]
    // Ignored buckets count in the nights' totals but are left out of rankings and trends.
    let ignored = Set(buckets.filter { $0.annotation?.ignore != nil }.map(\.failureBucketID))
    for crash in crashes where !ignored.contains(crash.bucket) {
      perNight[crash.bucket, default: [:]][crash.night, default: 0] += 1
    }
    report.windows = [1, 7, 28].map { window(size: $0, nights: nightList, counts: perNight) }
    report.trends = trends(
      nights: nightList, counts: perNight,
      buckets: buckets.filter { !ignored.contains($0.failureBucketID) })
    report.health = try WorkspaceHealth.load(database: database, relativeTo: baseDirectory)
    let seen = Set(buckets.map { Annotations.key($0.failureIDHash) })
    let signed = Set(buckets.compactMap(\.socorroSignature))
    report.unmatchedAnnotations =
      annotations.entries.keys.filter { !seen.contains($0) }.sorted()
      + annotations.signatures.keys.filter { !signed.contains($0) }.sorted().map {
        "signature \($0)"
      }
    report.alerts = Alert.all(in: report)
    report.drivers = drivers(crashes, builds: builds)
    return report
  }

  /// Each bucket's correlations: every crash's loaded modules (name and version, or code id when
  /// the dump has no version; a user dump's own executable left out, since it names the process
  /// rather than telling crashes apart), OS build, CPU and machine, against the crashes of the
  /// same builds and the same mode (kernel or user).
  static func correlations(_ crashes: [Crash], database: DatabaseQueue) throws
    -> [String: [Correlation]]
  {
    var ids: [String: Int32] = [:]
    var names: [String] = []
    func id(_ attribute: String, _ value: String) -> Int32 {
      let key = "\(attribute)\u{1}\(value)"
      if let known = ids[key] { return known }
      let next = Int32(truncatingIfNeeded: names.count)
      ids[key] = next
      names.append(key)
      return next
    }
    let wanted = Set(crashes.map(\.dump))
    var modules: [String: [Int32]] = [:]
    try database.read { db in
      let cursor = try Row.fetchCursor(
        db,
        sql: """
          SELECT m.dump_sha256, m.idx, m.name, m.version, m.code_id, d.kind
          FROM dump_modules m JOIN dumps d ON d.sha256 = m.dump_sha256
          ORDER BY m.dump_sha256, m.idx
          """)
      while let row = try cursor.next() {
        let dump: String = row[0]
        guard wanted.contains(dump) else { continue }
        let index: Int = row[1]
        let kind: String = row[5]
        if kind == "MDMP" && index == 0 { continue }
        let path: String = row[2]
        let name =
          path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? path
        let version = (row[3] as String?) ?? "code id \(row[4] as String)"
        modules[dump, default: []].append(id("module", "\(name) \(version)"))
      }
    }
    let observations = crashes.map { crash -> Correlation.Observation in
      var values = modules[crash.dump] ?? []
      if let os = crash.osVersion { values.append(id("os", os)) }
      if let cpu = crash.cpu { values.append(id("cpu", cpu)) }
      if let machine = crash.machine { values.append(id("machine", machine)) }
      return Correlation.Observation(
        bucket: crash.bucket, build: "\(crash.mode)\u{1}\(crash.build ?? "")",
        values: Array(Set(values)))
    }
    return Correlation.find(observations, names: names)
  }

  /// Each blamed image with its versions and the buckets it is blamed for, per build.
  static func drivers(_ crashes: [Crash], builds: [String]) -> [Driver] {
    Dictionary(grouping: crashes, by: \.image).map { image, group in
      let buckets = Dictionary(grouping: group, by: \.bucket).map { id, list in
        Driver.BlamedBucket(
          failureBucketID: id, failureIDHash: list.first?.hash ?? "", crashes: list.count,
          perBuild: counts(list.map { $0.build ?? "(no build)" }, order: builds))
      }.sorted { ($1.crashes, $0.failureBucketID) < ($0.crashes, $1.failureBucketID) }
      return Driver(
        image: image, crashes: group.count,
        versions: counts(group.map { $0.imageVersion ?? "(unknown)" }), buckets: buckets)
    }.sorted { ($1.crashes, $0.image) < ($0.crashes, $1.image) }
  }

  /// A crash as the report counts it: one bucketed dump in one night and build.
  struct Crash {
    var dump: String
    var night: String
    var build: String?
    var bucket: String
    var hash: String
    var image: String
    var mode: String
    var code: String
    var offset: String
    var imageVersion: String?
    var osVersion: String?
    var cpu: String?
    var signature: String?
    var machine: String?
    var archive: String
    var entry: String
  }

  /// The first capture group of `expression` in `text` (the whole match without one).
  static func machine(in text: String, _ expression: NSRegularExpression) -> String? {
    let range = NSRange(text.startIndex..., in: text)
    guard let match = expression.firstMatch(in: text, range: range) else { return nil }
    let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
    guard group.location != NSNotFound, let found = Range(group, in: text) else { return nil }
    return String(text[found])
  }

  /// Names with their number of occurrences, most frequent first; names in `order` come in
  /// that order instead (builds in release order).
  static func counts(_ names: [String], order: [String] = []) -> [Count] {
    let tally = Dictionary(grouping: names, by: { $0 }).mapValues(\.count)
    return tally.map { Count(name: $0.key, crashes: $0.value) }.sorted { a, b in
      let (ia, ib) = (order.firstIndex(of: a.name) ?? .max, order.firstIndex(of: b.name) ?? .max)
      if ia != ib { return ia < ib }
      return (b.crashes, a.name) < (a.crashes, b.name)
    }
  }

  static func window(size: Int, nights: [String], counts: [String: [String: Int]]) -> Window {
    let current = Set(nights.suffix(size))
    let previous = Set(nights.dropLast(size).suffix(size))
    func ranking(_ covered: Set<String>) -> [(String, Int)] {
      counts.compactMap { bucket, nightly -> (String, Int)? in
        let total = nightly.filter { covered.contains($0.key) }.values.reduce(0, +)
        return total > 0 ? (bucket, total) : nil
      }.sorted { ($1.1, $0.0) < ($0.1, $1.0) }
    }
    let before = ranking(previous)
    let entries = ranking(current).prefix(20).enumerated().map { index, item in
      let earlier = before.firstIndex { $0.0 == item.0 }
      return Window.Entry(
        failureBucketID: item.0, crashes: item.1, rank: index + 1,
        previousRank: earlier.map { $0 + 1 }, previousCrashes: earlier.map { before[$0].1 } ?? 0)
    }
    return Window(nights: size, hasPrevious: !previous.isEmpty, entries: entries)
  }

  static func trends(nights: [String], counts: [String: [String: Int]], buckets: [Bucket])
    -> [Trend]
  {
    guard let last = nights.last else { return [] }
    let history = Array(nights.dropLast())
    var result: [Trend] = []
    for bucket in buckets {
      let nightly = counts[bucket.failureBucketID] ?? [:]
      let tonight = nightly[last] ?? 0
      guard tonight > 0 else { continue }
      if bucket.isNew {
        result.append(
          Trend(
            failureBucketID: bucket.failureBucketID, kind: "new", lastNightCrashes: tonight,
            baseline: 0, pValue: nil))
        continue
      }
      let quiet = history.suffix(quietNights)
      if quiet.count == quietNights, quiet.allSatisfy({ (nightly[$0] ?? 0) == 0 }) {
        result.append(
          Trend(
            failureBucketID: bucket.failureBucketID, kind: "regressed", lastNightCrashes: tonight,
            baseline: 0, pValue: nil))
        continue
      }
      let trailing = history.suffix(baselineNights)
      guard !trailing.isEmpty else { continue }
      let mean = Double(trailing.reduce(0) { $0 + (nightly[$1] ?? 0) }) / Double(trailing.count)
      // P(X >= k) for X ~ Poisson(mean) is the regularized lower incomplete gamma P(k, mean).
      let p = Statistics.regularizedGammaP(Double(tonight), max(mean, 0.5))
      if tonight >= spikeMinimum, p < spikeP {
        result.append(
          Trend(
            failureBucketID: bucket.failureBucketID, kind: "spiking", lastNightCrashes: tonight,
            baseline: mean, pValue: p))
      }
    }
    return result
  }

  /// The tables as CSV files, by file name.
  public var csv: [String: String] {
    var nightsCSV = CSVWriter(header: ["night", "crashes", "top_bucket"])
    for night in nights {
      nightsCSV.append([night.date, String(night.crashes), night.topBucket ?? ""])
    }
    var bucketsCSV = CSVWriter(header: [
      "failure_bucket_id", "failure_id_hash", "mode", "code", "crashes", "machines",
      "first_night", "last_night", "last_night_crashes", "new", "bug", "owner", "fixed_in",
      "crashes_since_fix", "ignore", "notes", "first_build", "new_in_build", "socorro_signature",
    ])
    var perBuildCSV = CSVWriter(header: ["failure_id_hash", "build", "crashes"])
    var versionsCSV = CSVWriter(header: ["failure_id_hash", "kind", "version", "crashes"])
    var examplesCSV = CSVWriter(header: [
      "failure_id_hash", "offset", "night", "build", "machine", "archive", "entry", "dump_sha256",
    ])
    for bucket in buckets {
      bucketsCSV.append([
        bucket.failureBucketID, bucket.failureIDHash, bucket.mode, bucket.code,
        String(bucket.crashes), bucket.machines.map(String.init) ?? "", bucket.firstNight,
        bucket.lastNight, String(bucket.lastNightCrashes), bucket.isNew ? "yes" : "no",
        bucket.annotation?.bug ?? "", bucket.annotation?.owner ?? "",
        bucket.annotation?.fixedIn ?? "", bucket.crashesSinceFix.map(String.init) ?? "",
        bucket.annotation?.ignore ?? "", bucket.annotation?.notes ?? "",
        bucket.firstBuild ?? "", bucket.newInBuild ? "yes" : "no", bucket.socorroSignature ?? "",
      ])
      for item in bucket.perBuild {
        perBuildCSV.append([bucket.failureIDHash, item.name, String(item.crashes)])
      }
      for (kind, list) in [("driver", bucket.imageVersions), ("os", bucket.osVersions)] {
        for item in list {
          versionsCSV.append([bucket.failureIDHash, kind, item.name, String(item.crashes)])
        }
      }
      for example in bucket.examples {
        examplesCSV.append([
          bucket.failureIDHash, example.offset, example.night, example.build, example.machine,
          example.archive, example.entry, example.dump,
        ])
      }
    }
    func number(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "" }
    var ratesCSV = CSVWriter(header: [
      "build", "driver", "crashes", "share_of_build", "machines", "machine_days",
      "rate_per_10000_machine_days",
      "rate_low_95",
      "rate_high_95", "previous_build", "ratio_to_previous", "p_value", "note",
    ])
    for rate in rates {
      ratesCSV.append([
        rate.build, rate.image, String(rate.crashes), String(format: "%.3f", rate.share),
        rate.machines.map(String.init) ?? "",
        String(rate.machineDays), number(rate.rate),
        number(rate.rateLow), number(rate.rateHigh), rate.previousBuild ?? "", number(rate.ratio),
        rate.pValue.map { String(format: "%.4g", $0) } ?? "", rate.note ?? "",
      ])
    }
    var failuresCSV = CSVWriter(header: [
      "kind", "stage", "archive", "entry", "dump_sha256", "reason",
    ])
    for failure in health.failures {
      failuresCSV.append([
        failure.kind, failure.stage, failure.archive, failure.entry, failure.dump, failure.reason,
      ])
    }
    var symbolsCSV = CSVWriter(header: ["module", "debug_file", "debug_id", "dumps", "reason"])
    for missing in health.missingSymbols {
      symbolsCSV.append([
        missing.module, missing.debugFile, missing.debugID, String(missing.dumps), missing.reason,
      ])
    }
    var lookupsCSV = CSVWriter(header: [
      "module", "lookup", "found", "answer", "dumps", "waiting",
    ])
    for source in health.symbolSources {
      lookupsCSV.append([
        source.module, source.lookup, source.found ? "1" : "0", source.answer,
        String(source.dumps), String(source.waiting),
      ])
    }
    var correlationsCSV = CSVWriter(header: [
      "failure_id_hash", "attribute", "value", "in_bucket", "bucket_crashes", "elsewhere",
      "other_crashes", "p_value",
    ])
    for bucket in buckets {
      for item in bucket.correlations {
        correlationsCSV.append([
          bucket.failureIDHash, item.attribute, item.value, String(item.inBucket),
          String(item.bucketCrashes), String(item.elsewhere), String(item.otherCrashes),
          String(format: "%.3g", item.pValue),
        ])
      }
    }
    var summaryCSV = CSVWriter(header: ["measure", "value"])
    for (name, value) in health.figures { summaryCSV.append([name, String(value)]) }
    var files = [
      "nights.csv": nightsCSV.text, "buckets.csv": bucketsCSV.text, "drivers.csv": ratesCSV.text,
      "bucket-builds.csv": perBuildCSV.text, "bucket-versions.csv": versionsCSV.text,
      "examples.csv": examplesCSV.text, "failures.csv": failuresCSV.text,
      "missing-symbols.csv": symbolsCSV.text, "symbol-lookups.csv": lookupsCSV.text,
      "correlations.csv": correlationsCSV.text,
      "summary.csv": summaryCSV.text,
    ]
    for window in windows {
      var table = CSVWriter(header: [
        "rank", "failure_bucket_id", "crashes", "previous_rank", "previous_crashes",
      ])
      for entry in window.entries {
        table.append([
          String(entry.rank), entry.failureBucketID, String(entry.crashes),
          entry.previousRank.map(String.init) ?? "", String(entry.previousCrashes),
        ])
      }
      files["top-\(window.nights).csv"] = table.text
    }
    var trendsCSV = CSVWriter(header: [
      "failure_bucket_id", "kind", "last_night_crashes", "baseline_per_night", "p_value",
    ])
    for trend in trends {
      trendsCSV.append([
        trend.failureBucketID, trend.kind, String(trend.lastNightCrashes),
        String(format: "%.2f", trend.baseline),
        trend.pValue.map { String(format: "%.3g", $0) } ?? "",
      ])
    }
    files["trends.csv"] = trendsCSV.text
    return files
  }
}
