import Crypto
import Foundation
import GRDB
import Mustache

/// The report's HTML pages, from the templates in reports/ (compiled in): `index.html` (summary,
/// nightly chart, what changed, top crashers, buckets, driver rates), one page per bucket,
/// `failures.html` and `symbols.html`. swift-mustache escapes every value (`{{…}}`); only the
/// style sheet, the table script (reports/tables.js) and the charts, which escape their own
/// labels, are inserted raw. Each page's Content-Security-Policy lets nothing load and runs only
/// that style sheet and script.
public enum HTMLReport {
  /// Renders the pages of `report` into `folder`; the database gives each bucket's
  /// representative stack.
  public static func write(_ report: CrashReport, database: DatabaseQueue, to folder: String)
    throws
  {
    let nightDates = report.nights.map(\.date)
    var counts: [String: [String: Int]] = [:]
    for bucket in report.buckets {
      for cell in bucket.perNight {
        counts[bucket.failureBucketID, default: [:]][cell.night, default: 0] += cell.crashes
      }
    }
    let top = Array(report.buckets.prefix(5)).map(\.failureBucketID)
    var series: [(String, [Int])] = top.map { id in
      (id, nightDates.map { counts[id]?[$0] ?? 0 })
    }
    let other = nightDates.map { night in
      (report.nights.first { $0.date == night }?.crashes ?? 0)
        - top.reduce(0) { $0 + (counts[$1]?[night] ?? 0) }
    }
    if other.contains(where: { $0 > 0 }) {
      series.append(("other buckets", other.map { max(0, $0) }))
    }
    let chart = NightChart(nights: nightDates, series: series).svg
    let health = report.health
    let common: [String: Any] = [
      "firstNight": nightDates.first ?? "",
      "lastNight": nightDates.last ?? "",
    ]
    var context = common
    context.merge(
      [
        "chart": chart, "windows": windows(report), "trends": trends(report),
        "hasTrends": !report.trends.isEmpty, "quietNights": CrashReport.quietNights,
        "spikeMinimum": CrashReport.spikeMinimum, "spikeP": CrashReport.spikeP,
        "baselineNights": CrashReport.baselineNights,
        "crashes": report.nights.reduce(0) { $0 + $1.crashes },
        "bucketCount": report.buckets.count, "minimum": CrashReport.minimumMachineDays,
        "knowsMachines": report.buckets.first?.machines != nil,
        "exposureNote": report.hasExposure
          ? "rates per 10,000 machine-days" : "no exposure data in the manifest: counts only",
        "health": [
          "archives": health.archives, "archivesFailed": health.archivesFailed,
          "dumps": health.dumps, "occurrences": health.occurrences, "parsed": health.parsed,
          "bucketed": health.bucketed, "deferred": health.deferred,
          "failures": health.failures.count, "walked": health.walked,
          "fullySymbolized": health.fullySymbolized,
          "coverage": health.walked == 0
            ? "–"
            : String(
              format: "%.1f%%", 100 * Double(health.fullySymbolized) / Double(health.walked)),
          "missingModules": health.missingSymbols.count,
        ] as [String: Any],
        "buckets": report.buckets.enumerated().map { rank, bucket -> [String: Any] in
          [
            "rank": rank + 1, "id": bucket.failureBucketID, "hash": bucket.failureIDHash,
            "page": page(bucket.failureIDHash), "crashes": bucket.crashes,
            "machines": bucket.machines.map(String.init) ?? "",
            "lastNightCrashes": bucket.lastNightCrashes, "firstNight": bucket.firstNight,
            "lastNight": bucket.lastNight, "isNew": bucket.isNew,
            "newInBuild": bucket.newInBuild, "firstBuild": bucket.firstBuild ?? "",
          ].merging(annotationContext(bucket) ?? [:]) { a, _ in a }.merging([
            "state": state(bucket)
          ]) { $1 }
        },
        "alerts": report.alerts.map { alert -> [String: Any] in
          [
            "kind": alert.kind.rawValue, "subject": alert.subject, "detail": alert.detail,
            "crashes": alert.crashes, "link": alert.link,
          ]
        },
        "hasAlerts": !report.alerts.isEmpty, "driverRateP": Alert.driverRateP,
        "rates": report.rates.map { rate -> [String: Any] in
          [
            "build": rate.build, "image": rate.image, "crashes": rate.crashes,
            "driverPage": driverPage(rate.image),
            "share": String(format: "%.1f%%", 100 * rate.share),
            "machines": rate.machines.map(String.init) ?? "",
            "machineDays": rate.machineDays, "rate": number(rate.rate),
            "interval": rate.rate == nil
              ? "" : "\(number(rate.rateLow))–\(number(rate.rateHigh))",
            "ratio": rate.ratio.map { String(format: "×%.2f", $0) } ?? "",
            "pValue": number(rate.pValue, "%.3g"), "note": rate.note ?? "",
          ]
        },
      ], uniquingKeysWith: { $1 })
    if !report.unmatchedAnnotations.isEmpty {
      context["unmatched"] = [
        "count": report.unmatchedAnnotations.count,
        "list": report.unmatchedAnnotations.joined(separator: ", "),
      ]
    }
    try render(ReportTemplates.index, context, to: "\(folder)/index.html")

    var failures = common
    failures["failures"] = health.failures.map { failure -> [String: Any] in
      [
        "kind": failure.kind, "stage": failure.stage, "archive": failure.archive,
        "entry": failure.entry, "dump": failure.dump, "reason": failure.reason,
      ]
    }
    failures["count"] = health.failures.count
    failures["hasRows"] = !health.failures.isEmpty
    try render(ReportTemplates.failures, failures, to: "\(folder)/failures.html")

    var symbols = common
    symbols["modules"] = health.missingSymbols.map { missing -> [String: Any] in
      [
        "module": missing.module, "debugFile": missing.debugFile, "debugID": missing.debugID,
        "dumps": missing.dumps, "reason": missing.reason,
      ]
    }
    symbols["hasRows"] = !health.missingSymbols.isEmpty
    symbols["sources"] = health.symbolSources.map { source -> [String: Any] in
      [
        "module": source.module, "lookup": source.lookup,
        "found": source.found ? "found" : "not found", "answer": source.answer,
        "dumps": source.dumps, "waiting": source.waiting,
      ]
    }
    symbols["hasSources"] = !health.symbolSources.isEmpty
    symbols["walked"] = health.walked
    symbols["fullySymbolized"] = health.fullySymbolized
    try render(ReportTemplates.symbols, symbols, to: "\(folder)/symbols.html")

    try FileManager.default.createDirectory(
      atPath: "\(folder)/buckets", withIntermediateDirectories: true)
    let builds = Array(Set(report.rates.map(\.build)))
    for bucket in report.buckets {
      try render(
        ReportTemplates.bucket, bucketContext(bucket, nights: nightDates, builds: builds, database),
        to: "\(folder)/buckets/\(page(bucket.failureIDHash))")
    }
    try FileManager.default.createDirectory(
      atPath: "\(folder)/drivers", withIntermediateDirectories: true)
    for driver in report.drivers {
      try render(
        ReportTemplates.driver, driverContext(driver, report),
        to: "\(folder)/drivers/\(driverPage(driver.image))")
    }
  }

  /// A driver page's file name: the image name with anything but letters, digits, `.`, `-` and
  /// `_` replaced, and a hash of the name when something was, so two names never share a page.
  static func driverPage(_ image: String) -> String {
    let safe = String(
      image.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    let prefix = safe.hasPrefix(".") ? "_" + safe.dropFirst() : Substring(safe)
    guard String(prefix) != image || image.isEmpty else { return image + ".html" }
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in image.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return "\(prefix.prefix(80))-\(String(hash, radix: 16)).html"
  }

  /// The driver page: its rates per build as a forest plot and a table, its versions, and the
  /// buckets it is blamed for per build.
  static func driverContext(_ driver: CrashReport.Driver, _ report: CrashReport) -> [String: Any] {
    let rates = report.rates.filter { $0.image == driver.image }
    let builds = rates.map(\.build)
    let plot = ForestPlot(
      rows: rates.map { rate in
        if let value = rate.rate {
          return ForestPlot.Row(
            label: rate.build, value: value, low: rate.rateLow, high: rate.rateHigh,
            text: "\(number(value)) [\(number(rate.rateLow))–\(number(rate.rateHigh))]")
        }
        return ForestPlot.Row(
          label: rate.build, value: report.hasExposure ? nil : rate.share * 100, low: nil,
          high: nil,
          text: report.hasExposure
            ? (rate.note ?? "no rate")
            : String(format: "%.1f%% of the build's crashes", 100 * rate.share))
      },
      axis: report.hasExposure
        ? "crashes per 10,000 machine-days (95% interval)" : "share of the build's crashes (%)")
    return [
      "image": driver.image, "crashes": driver.crashes,
      "plot": plot.svg, "builds": builds.map { ["name": $0] },
      "rates": rates.map { rate -> [String: Any] in
        [
          "build": rate.build, "crashes": rate.crashes,
          "share": String(format: "%.1f%%", 100 * rate.share),
          "machineDays": rate.machineDays, "rate": number(rate.rate),
          "interval": rate.rate == nil ? "" : "\(number(rate.rateLow))–\(number(rate.rateHigh))",
          "previous": rate.previousBuild ?? "",
          "ratio": rate.ratio.map { String(format: "×%.2f", $0) } ?? "",
          "pValue": number(rate.pValue, "%.3g"), "note": rate.note ?? "",
        ]
      },
      "versions": driver.versions.map { ["name": $0.name, "crashes": $0.crashes] },
      "buckets": driver.buckets.map { bucket -> [String: Any] in
        [
          "id": bucket.failureBucketID, "page": page(bucket.failureIDHash),
          "crashes": bucket.crashes,
          "cells": builds.map { build in
            ["count": bucket.perBuild.first { $0.name == build }?.crashes ?? 0]
          },
        ]
      },
    ]
  }

  static func render(_ template: String, _ context: [String: Any], to path: String) throws {
    var page = context
    page["style"] = ReportTemplates.style
    page["script"] = ReportTemplates.script
    page["csp"] = contentSecurityPolicy
    try MustacheTemplate(string: template).render(page).write(
      toFile: path, atomically: false, encoding: .utf8)
  }

  /// Every page's Content-Security-Policy: nothing may load, and only the page's own style sheet
  /// and table script run, named by their SHA-256 (CSP Level 2 hash sources). A page that an
  /// attacker's text broke out of could neither run a script nor fetch anything.
  static let contentSecurityPolicy: String = {
    func source(_ text: String) -> String {
      "'sha256-\(Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString())'"
    }
    return "default-src 'none'; style-src \(source(ReportTemplates.style)); "
      + "script-src \(source(ReportTemplates.script)); base-uri 'none'; form-action 'none'"
  }()

  /// A bucket page's file name: the hash, reduced to characters safe in a path.
  static func page(_ hash: String) -> String {
    hash.filter { $0.isHexDigit || $0 == "-" } + ".html"
  }

  static func number(_ value: Double?, _ format: String = "%.2f") -> String {
    value.map { String(format: format, $0) } ?? ""
  }

  static func windows(_ report: CrashReport) -> [[String: Any]] {
    report.windows.map { window -> [String: Any] in
      [
        "title": window.nights == 1 ? "last night" : "last \(window.nights) nights",
        "entries": window.entries.map { entry -> [String: Any] in
          let change: String
          if let before = entry.previousRank {
            change =
              before == entry.rank
              ? "=" : before > entry.rank ? "↑\(before - entry.rank)" : "↓\(entry.rank - before)"
          } else {
            change = window.hasPrevious ? "new in the window" : "–"
          }
          return [
            "rank": entry.rank, "id": entry.failureBucketID, "crashes": entry.crashes,
            "previousRank": entry.previousRank.map(String.init) ?? "–", "change": change,
          ]
        },
      ]
    }
  }

  /// The annotation's fields for a template, only those that are set (a section renders for
  /// any present key), with `bugURL` only for http(s) links.
  static func annotationContext(_ bucket: CrashReport.Bucket) -> [String: Any]? {
    guard let annotation = bucket.annotation else { return nil }
    var context: [String: Any] = [:]
    if let bug = annotation.bug {
      context["bug"] = bug
      let lower = bug.lowercased()
      if lower.hasPrefix("https://") || lower.hasPrefix("http://") { context["bugURL"] = bug }
    }
    if let owner = annotation.owner { context["owner"] = owner }
    if let notes = annotation.notes { context["notes"] = notes }
    if let ignore = annotation.ignore { context["ignore"] = ignore }
    if let fixed = annotation.fixedIn {
      context["fixedIn"] = fixed
      context["regressed"] = bucket.regressedAfterFix
      context["crashesSinceFix"] = bucket.crashesSinceFix ?? 0
    }
    return context
  }

  /// A bucket's state for the index: regressed after its fix, fixed, or ignored.
  static func state(_ bucket: CrashReport.Bucket) -> String {
    if let ignore = bucket.annotation?.ignore { return "ignored: \(ignore)" }
    guard let fixed = bucket.annotation?.fixedIn else { return "" }
    return bucket.regressedAfterFix
      ? "regressed after fix in \(fixed) (\(bucket.crashesSinceFix ?? 0) crashes since)"
      : "fixed in \(fixed)"
  }

  static func trends(_ report: CrashReport) -> [[String: Any]] {
    report.trends.map { trend -> [String: Any] in
      [
        "id": trend.failureBucketID, "kind": trend.kind, "count": trend.lastNightCrashes,
        "baseline": String(format: "%.2f", trend.baseline),
        "pValue": trend.pValue.map { String(format: "%.3g", $0) } ?? "",
      ]
    }
  }

  static func bucketContext(
    _ bucket: CrashReport.Bucket, nights: [String], builds: [String], _ database: DatabaseQueue
  ) throws -> [String: Any] {
    let (example, frames) = try database.read { db -> (String, [Row]) in
      // The newest example is the representative: its stack is the one users will meet next.
      let dump = bucket.examples.first?.dump ?? ""
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT frame, module, module_offset, function, function_offset, trust
          FROM symbolized_frames WHERE dump_sha256 = ? ORDER BY frame LIMIT 64
          """, arguments: [dump])
      return (dump, rows)
    }
    let bucketBuilds = bucket.perBuild.map(\.name)
    let chart = NightChart(
      nights: nights,
      series: bucketBuilds.map { build in
        (
          build,
          nights.map { night in
            bucket.perNight.first { $0.night == night && $0.build == build }?.crashes ?? 0
          }
        )
      }
    ).svg
    let offsets = Dictionary(grouping: bucket.examples, by: \.offset)
    var context: [String: Any] = [:]
    if let annotation = annotationContext(bucket) { context["annotation"] = annotation }
    func percent(_ part: Int, _ whole: Int) -> String {
      whole == 0 ? "–" : String(format: "%.0f%%", 100 * Double(part) / Double(whole))
    }
    context["correlations"] = bucket.correlations.map { item -> [String: Any] in
      [
        "attribute": item.attribute, "value": item.value, "inBucket": item.inBucket,
        "bucketCrashes": item.bucketCrashes, "share": percent(item.inBucket, item.bucketCrashes),
        "elsewhere": item.elsewhere, "otherCrashes": item.otherCrashes,
        "shareElsewhere": percent(item.elsewhere, item.otherCrashes),
        "pValue": String(format: "%.2g", item.pValue),
      ]
    }
    context["hasCorrelations"] = !bucket.correlations.isEmpty
    context["correlationP"] = Correlation.maximumP
    context["correlationMinimum"] = Correlation.minimumCount
    context["correlationCount"] = Correlation.perBucket
    context["correlationDifference"] = Int(Correlation.minimumDifference * 100)
    return context.merging([
      "id": bucket.failureBucketID, "hash": bucket.failureIDHash,
      "mode": bucket.mode, "code": bucket.code, "crashes": bucket.crashes,
      "machines": bucket.machines.map(String.init) ?? "", "knowsMachines": bucket.machines != nil,
      "firstNight": bucket.firstNight, "lastNight": bucket.lastNight, "exampleDump": example,
      "chart": chart,
      "perBuild": bucket.perBuild.map { ["name": $0.name, "crashes": $0.crashes] },
      "imageVersions": bucket.imageVersions.map { ["name": $0.name, "crashes": $0.crashes] },
      "osVersions": bucket.osVersions.map { ["name": $0.name, "crashes": $0.crashes] },
      "offsets": offsets.keys.sorted().map { offset -> [String: Any] in
        [
          "offset": "+0x" + offset,
          "examples": (offsets[offset] ?? []).map { item -> [String: Any] in
            [
              "night": item.night, "build": item.build, "machine": item.machine,
              "archive": item.archive, "entry": item.entry, "dump": item.dump,
            ]
          },
        ]
      },
      "perOffset": CrashReport.examplesPerOffset,
      "frames": frames.map { row -> [String: Any] in
        let module = (row["module"] as String?) ?? "?"
        let site: String
        if let function = row["function"] as String? {
          let offset = (row["function_offset"] as Int64?) ?? 0
          site = "\(module)!\(function)+0x\(String(offset, radix: 16))"
        } else {
          site = "\(module)+0x\(String((row["module_offset"] as Int64?) ?? 0, radix: 16))"
        }
        return [
          "index": row["frame"] as Int64, "site": site, "trust": (row["trust"] as String?) ?? "",
        ]
      },
    ]) { $1 }
  }
}
