import Foundation

/// One thing a morning reader must act on, as `alerts.json`, `digest.md` and `run --fail-on`
/// list them. Ignored buckets never alert.
public struct Alert: Codable, Sendable, Equatable {
  /// The kinds, as `--fail-on` names them.
  public enum Kind: String, Codable, Sendable, CaseIterable {
    /// Marked fixed in a build and crashing in it or a later one; or back after quiet nights.
    case regressed
    /// First seen on the newest night.
    case new
    /// The newest night well above the bucket's trailing baseline.
    case spiking
    /// A driver whose crash rate rose significantly since the previous build.
    case driverRate = "driver-rate"
  }

  public var kind: Kind
  /// The FAILURE_BUCKET_ID, or `driver in build` for driver-rate alerts.
  public var subject: String
  /// Why, in one line.
  public var detail: String
  /// Crashes behind it: since the fix, last night, or of the driver in the build.
  public var crashes: Int
  /// The report page to open, relative to the report folder.
  public var link: String

  /// A driver's rate counts as risen when the exact test against the previous build gives a
  /// p-value under this and the ratio is above 1.
  public static let driverRateP = 0.01

  /// The alerts of `report`, regressed first, then new, spiking and driver rates.
  public static func all(in report: CrashReport) -> [Alert] {
    var alerts: [Alert] = []
    let ignored = Set(
      report.buckets.filter { $0.annotation?.ignore != nil }.map(\.failureBucketID))
    func page(_ bucket: String) -> String {
      let hash = report.buckets.first { $0.failureBucketID == bucket }?.failureIDHash ?? ""
      return "buckets/" + HTMLReport.page(hash)
    }
    for bucket in report.buckets
    where bucket.regressedAfterFix && !ignored.contains(bucket.failureBucketID) {
      let bug = bucket.annotation?.bug.map { " (\($0))" } ?? ""
      alerts.append(
        Alert(
          kind: .regressed, subject: bucket.failureBucketID,
          detail:
            "marked fixed in \(bucket.annotation?.fixedIn ?? "?")\(bug), yet \(count(bucket.crashesSinceFix ?? 0)) in that build or later",
          crashes: bucket.crashesSinceFix ?? 0, link: page(bucket.failureBucketID)))
    }
    let regressed = Set(alerts.map(\.subject))
    for trend in report.trends where !ignored.contains(trend.failureBucketID) {
      switch trend.kind {
      case "regressed" where !regressed.contains(trend.failureBucketID):
        alerts.append(
          Alert(
            kind: .regressed, subject: trend.failureBucketID,
            detail:
              "back after \(CrashReport.quietNights) quiet nights: \(count(trend.lastNightCrashes)) last night",
            crashes: trend.lastNightCrashes, link: page(trend.failureBucketID)))
      case "new":
        alerts.append(
          Alert(
            kind: .new, subject: trend.failureBucketID,
            detail: "first seen last night: \(count(trend.lastNightCrashes))",
            crashes: trend.lastNightCrashes, link: page(trend.failureBucketID)))
      case "spiking":
        alerts.append(
          Alert(
            kind: .spiking, subject: trend.failureBucketID,
            detail: String(
              format: "%@ last night against a baseline of %.1f a night (p = %.2g)",
              count(trend.lastNightCrashes), trend.baseline, trend.pValue ?? 1),
            crashes: trend.lastNightCrashes, link: page(trend.failureBucketID)))
      default:
        break
      }
    }
    // New with a release: first seen in the newest build, though not first seen last night.
    let alerted = Set(alerts.map(\.subject))
    for bucket in report.buckets
    where bucket.newInBuild && !ignored.contains(bucket.failureBucketID)
      && !alerted.contains(bucket.failureBucketID)
    {
      let crashes = bucket.perBuild.first { $0.name == bucket.firstBuild }?.crashes ?? 0
      alerts.append(
        Alert(
          kind: .new, subject: bucket.failureBucketID,
          detail: "first seen in the newest build, \(bucket.firstBuild ?? "?"): \(count(crashes))",
          crashes: crashes, link: page(bucket.failureBucketID)))
    }
    for rate in report.rates {
      guard let ratio = rate.ratio, ratio > 1, let p = rate.pValue, p < driverRateP,
        let previous = rate.previousBuild
      else { continue }
      alerts.append(
        Alert(
          kind: .driverRate, subject: "\(rate.image) in \(rate.build)",
          detail: String(
            format: "crash rate ×%.2f against %@ (p = %.2g)", ratio, previous, p),
          crashes: rate.crashes, link: "index.html#drivers"))
    }
    return alerts
  }

  static func count(_ crashes: Int) -> String {
    crashes == 1 ? "1 crash" : "\(crashes) crashes"
  }

  /// `digest.md`: one line per alert, for chat and mail.
  public static func digest(_ alerts: [Alert], night: String?) -> String {
    var lines = ["# crashsift digest\(night.map { " — \($0)" } ?? "")", ""]
    if alerts.isEmpty { lines.append("Nothing new, regressed or spiking.") }
    for alert in alerts {
      lines.append(
        "- **\(alert.kind.rawValue)** \(code(alert.subject)): \(markdownText(alert.detail)) "
          + "([open](\(alert.link)))")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A code span that no text from a dump can close early: as many backticks plus one as the
  /// longest run inside it.
  static func code(_ text: String) -> String {
    var longest = 0
    var run = 0
    for character in text {
      run = character == "`" ? run + 1 : 0
      longest = max(longest, run)
    }
    let fence = String(repeating: "`", count: longest + 1)
    return "\(fence) \(text.replacingOccurrences(of: "\n", with: " ")) \(fence)"
  }

  /// Text with Markdown's punctuation escaped (bug titles and build names come from people).
  static func markdownText(_ text: String) -> String {
    var out = ""
    for character in text {
      if "\\`*_[]<>#|".contains(character) { out.append("\\") }
      out.append(character == "\n" ? " " : character)
    }
    return out
  }
}
