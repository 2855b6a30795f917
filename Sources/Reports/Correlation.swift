import Foundation

/// Something a bucket's crashes have in common far more often than the other crashes of the same
/// builds (Socorro's "correlations"): a loaded module (by name and version, or code id when the
/// dump carries no version), the OS build, the CPU or the machine.
public struct Correlation: Codable, Sendable, Equatable {
  /// `module`, `os`, `cpu` or `machine`.
  public var attribute: String
  public var value: String
  /// Crashes of the bucket with the value, and all crashes of the bucket.
  public var inBucket: Int
  public var bucketCrashes: Int
  /// Crashes of the same builds outside the bucket with the value, and all of them.
  public var elsewhere: Int
  public var otherCrashes: Int
  /// Fisher's exact test, one-sided (over-representation in the bucket).
  public var pValue: Double

  /// Reported only below this p-value. Many values are tested per bucket (every loaded module),
  /// so the threshold is strict: with a few hundred values per bucket a chance finding below it
  /// is unlikely (Bonferroni at 0.05 for 50 values).
  public static let maximumP = 0.001
  /// …and only when at least this many of the bucket's crashes have the value.
  public static let minimumCount = 3
  /// …and only when the bucket's share is at least this much above the rest's (0.10 = ten
  /// percentage points): at 100,000 crashes a 99.7% against 93.5% difference is "significant"
  /// but tells a triager nothing.
  public static let minimumDifference = 0.10
  /// The strongest few per bucket.
  public static let perBucket = 5

  /// One crash as the correlation search sees it: its bucket, build and attribute values.
  struct Observation {
    var bucket: String
    var build: String
    var values: [Int32]
  }

  /// The correlations of every bucket, strongest first. `names[id]` is `attribute\u{1}value`.
  static func find(_ observations: [Observation], names: [String]) -> [String: [Correlation]] {
    // Per build: crashes, and crashes per value.
    var buildCrashes: [String: Int] = [:]
    var buildCounts: [String: [Int32: Int]] = [:]
    var byBucket: [String: [Observation]] = [:]
    for observation in observations {
      buildCrashes[observation.build, default: 0] += 1
      for value in observation.values {
        buildCounts[observation.build, default: [:]][value, default: 0] += 1
      }
      byBucket[observation.bucket, default: []].append(observation)
    }
    var result: [String: [Correlation]] = [:]
    for (bucket, crashes) in byBucket where crashes.count >= minimumCount {
      let builds = Set(crashes.map(\.build))
      let population = builds.reduce(0) { $0 + (buildCrashes[$1] ?? 0) }
      let n = crashes.count
      guard population > n else { continue }
      var inBucket: [Int32: Int] = [:]
      for crash in crashes {
        for value in crash.values { inBucket[value, default: 0] += 1 }
      }
      var found: [Correlation] = []
      for (value, k) in inBucket where k >= minimumCount {
        let marked = builds.reduce(0) { $0 + (buildCounts[$1]?[value] ?? 0) }
        let elsewhere = marked - k
        let others = population - n
        // Over-represented only, and by enough to matter.
        let difference = Double(k) / Double(n) - Double(elsewhere) / Double(max(others, 1))
        guard difference >= minimumDifference else { continue }
        let p = Statistics.hypergeometricUpperTail(
          k, draws: n, successes: marked, population: population)
        guard p < maximumP else { continue }
        let parts = names[Int(value)].split(separator: "\u{1}", maxSplits: 1).map(String.init)
        found.append(
          Correlation(
            attribute: parts.first ?? "", value: parts.count > 1 ? parts[1] : "", inBucket: k,
            bucketCrashes: n, elsewhere: elsewhere, otherCrashes: others, pValue: p))
      }
      found.sort { ($0.pValue, $0.attribute, $0.value) < ($1.pValue, $1.attribute, $1.value) }
      if !found.isEmpty { result[bucket] = Array(found.prefix(perBucket)) }
    }
    return result
  }
}
