import Foundation
import GRDB
import Mustache

/// The report's HTML pages, from the templates in reports/ (compiled in): `index.html` with the
/// nightly chart, top buckets and driver rates, and one page per bucket with its nights and a
/// representative stack. swift-mustache escapes every value (`{{…}}`); only the style sheet and
/// the chart, which escapes its own labels, are inserted raw.
public enum HTMLReport {
  /// Renders the pages of `report` into `folder` (index.html and buckets/<hash>.html).
  /// `batchDates` maps batch ids to nights, as for `CrashReport.build`.
  public static func write(
    _ report: CrashReport, database: DatabaseQueue, batchDates: [String: String], to folder: String
  ) throws {
    let index = try MustacheTemplate(string: ReportTemplates.index)
    let bucketTemplate = try MustacheTemplate(string: ReportTemplates.bucket)
    let top = Array(report.buckets.prefix(5)).map(\.failureBucketID)
    let nightDates = report.nights.map(\.date)
    let perNight = try database.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT o.batch AS night, b.failure_bucket_id AS id, COUNT(DISTINCT o.dump_sha256) AS n
          FROM occurrences o JOIN buckets b ON b.dump_sha256 = o.dump_sha256 GROUP BY 1, 2
          """)
    }
    var counts: [String: [String: Int]] = [:]
    for row in perNight {
      let batch: String = row["night"]
      counts[row["id"] as String, default: [:]][batchDates[batch] ?? batch, default: 0] +=
        row["n"] as Int
    }
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
    func page(_ hash: String) -> String {
      hash.filter { $0.isHexDigit || $0 == "-" } + ".html"
    }
    func number(_ value: Double?, _ format: String = "%.2f") -> String {
      value.map { String(format: format, $0) } ?? ""
    }
    let windows = report.windows.map { window -> [String: Any] in
      [
        "title": window.nights == 1 ? "last night" : "last \(window.nights) nights",
        "entries": window.entries.map { entry -> [String: Any] in
          let change: String
          if let before = entry.previousRank {
            change =
              before == entry.rank
              ? "=" : before > entry.rank ? "↑\(before - entry.rank)" : "↓\(entry.rank - before)"
          } else {
            change = "new in the window"
          }
          return [
            "rank": entry.rank, "id": entry.failureBucketID, "crashes": entry.crashes,
            "previousRank": entry.previousRank.map(String.init) ?? "–", "change": change,
          ]
        },
      ]
    }
    let trends = report.trends.map { trend -> [String: Any] in
      [
        "id": trend.failureBucketID, "kind": trend.kind, "count": trend.lastNightCrashes,
        "baseline": String(format: "%.2f", trend.baseline),
        "pValue": trend.pValue.map { String(format: "%.3g", $0) } ?? "",
      ]
    }
    let context: [String: Any] = [
      "style": ReportTemplates.style, "chart": chart, "windows": windows, "trends": trends,
      "hasTrends": !trends.isEmpty, "quietNights": CrashReport.quietNights,
      "spikeMinimum": CrashReport.spikeMinimum, "spikeP": CrashReport.spikeP,
      "baselineNights": CrashReport.baselineNights,
      "firstNight": nightDates.first ?? "", "lastNight": nightDates.last ?? "",
      "crashes": report.nights.reduce(0) { $0 + $1.crashes }, "bucketCount": report.buckets.count,
      "minimum": CrashReport.minimumMachineDays,
      "exposureNote": report.hasExposure
        ? "rates per 10,000 machine-days" : "no exposure data in the manifest: counts only",
      "buckets": report.buckets.enumerated().map { rank, bucket -> [String: Any] in
        [
          "rank": rank + 1, "id": bucket.failureBucketID, "hash": bucket.failureIDHash,
          "page": page(bucket.failureIDHash), "crashes": bucket.crashes,
          "lastNightCrashes": bucket.lastNightCrashes, "firstNight": bucket.firstNight,
          "lastNight": bucket.lastNight, "isNew": bucket.isNew,
        ]
      },
      "rates": report.rates.map { rate -> [String: Any] in
        [
          "build": rate.build, "image": rate.image, "crashes": rate.crashes,
          "machineDays": rate.machineDays, "rate": number(rate.rate),
          "interval": rate.rate == nil ? "" : "\(number(rate.rateLow))–\(number(rate.rateHigh))",
          "ratio": rate.ratio.map { String(format: "×%.2f", $0) } ?? "",
          "pValue": number(rate.pValue, "%.3g"), "note": rate.note ?? "",
        ]
      },
    ]
    try index.render(context).write(
      toFile: "\(folder)/index.html", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(
      atPath: "\(folder)/buckets", withIntermediateDirectories: true)
    for bucket in report.buckets {
      let (example, frames) = try database.read { db -> (String, [Row]) in
        let dump =
          try String.fetchOne(
            db,
            sql: "SELECT dump_sha256 FROM buckets WHERE failure_bucket_id = ? ORDER BY 1 LIMIT 1",
            arguments: [bucket.failureBucketID]) ?? ""
        let rows = try Row.fetchAll(
          db,
          sql: """
            SELECT frame, module, module_offset, function, function_offset, trust
            FROM symbolized_frames WHERE dump_sha256 = ? ORDER BY frame LIMIT 64
            """, arguments: [dump])
        return (dump, rows)
      }
      let pageContext: [String: Any] = [
        "style": ReportTemplates.style, "id": bucket.failureBucketID, "hash": bucket.failureIDHash,
        "crashes": bucket.crashes, "firstNight": bucket.firstNight, "lastNight": bucket.lastNight,
        "exampleDump": example,
        "nights": nightDates.compactMap { night -> [String: Any]? in
          guard let count = counts[bucket.failureBucketID]?[night] else { return nil }
          return ["date": night, "count": count]
        },
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
      ]
      try bucketTemplate.render(pageContext).write(
        toFile: "\(folder)/buckets/\(page(bucket.failureIDHash))", atomically: true, encoding: .utf8
      )
    }
  }
}
