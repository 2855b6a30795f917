import Foundation

/// An inline SVG forest plot: one row per build, a point at the estimate and a line over its 95%
/// interval, on one shared axis from zero, with the estimate written beside each row; rows
/// without an estimate say why. No script, readable in print; every label is escaped.
struct ForestPlot {
  struct Row {
    var label: String
    var value: Double?
    var low: Double?
    var high: Double?
    /// Written at the right of the row: the estimate and interval, or why there is none.
    var text: String
  }

  var rows: [Row]
  /// What the axis measures, e.g. "crashes per 10,000 machine-days".
  var axis: String

  var svg: String {
    let width = 760
    let labelWidth = 150
    let textWidth = 220
    let plotLeft = labelWidth
    let plotRight = width - textWidth
    let rowHeight = 24
    let top = 8
    let height = top + rows.count * rowHeight + 40
    let highest = rows.compactMap { $0.high ?? $0.value }.max() ?? 0
    let scale = highest > 0 ? highest * 1.05 : 1
    func x(_ value: Double) -> Double {
      Double(plotLeft) + Double(plotRight - plotLeft) * min(max(value / scale, 0), 1)
    }
    var parts = [
      ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" role="img" aria-label="\##(NightChart.escape(axis)) per build">"##
    ]
    let bottom = top + rows.count * rowHeight
    for tick in 0...4 {
      let value = scale * Double(tick) / 4
      let at = x(value)
      parts.append(
        ##"<line x1="\##(at)" y1="\##(top)" x2="\##(at)" y2="\##(bottom)" stroke="#d8dee4" />"##)
      parts.append(
        ##"<text x="\##(at)" y="\##(bottom + 14)" text-anchor="middle">\##(Self.number(value))</text>"##
      )
    }
    parts.append(
      ##"<text x="\##((plotLeft + plotRight) / 2)" y="\##(bottom + 32)" text-anchor="middle">\##(NightChart.escape(axis))</text>"##
    )
    for (index, row) in rows.enumerated() {
      let y = top + index * rowHeight + rowHeight / 2
      parts.append(
        ##"<text x="\##(labelWidth - 8)" y="\##(y + 4)" text-anchor="end">\##(NightChart.escape(row.label))</text>"##
      )
      if let low = row.low, let high = row.high {
        parts.append(
          ##"<line x1="\##(x(low))" y1="\##(y)" x2="\##(x(high))" y2="\##(y)" stroke="#0969da" stroke-width="2" />"##
        )
      }
      if let value = row.value {
        parts.append(
          ##"<rect x="\##(x(value) - 4)" y="\##(y - 4)" width="8" height="8" fill="#0969da"><title>\##(NightChart.escape(row.label)): \##(NightChart.escape(row.text))</title></rect>"##
        )
      }
      parts.append(
        ##"<text x="\##(plotRight + 8)" y="\##(y + 4)">\##(NightChart.escape(row.text))</text>"##)
    }
    parts.append("</svg>")
    return parts.joined(separator: "\n")
  }

  static func number(_ value: Double) -> String {
    value >= 100 ? String(format: "%.0f", value) : String(format: "%.2g", value)
  }
}
