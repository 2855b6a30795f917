/// An inline SVG bar chart of crashes per night, stacked by the top buckets (the rest as
/// "other"), with axes, labels and a legend; no script, readable in print. Every text that came
/// from a dump is escaped here, since the chart is inserted into the page unescaped.
struct NightChart {
  var nights: [String]
  /// Series in stacking order (bottom first): name and one count per night.
  var series: [(name: String, counts: [Int])]

  static let colors = ["#0969da", "#bf3989", "#1a7f37", "#bc4c00", "#8250df", "#8c959f"]

  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
      .replacingOccurrences(of: "'", with: "&#39;")
  }

  var svg: String {
    let width = 760
    let plotLeft = 48
    let plotTop = 12
    let plotHeight = 200
    let legendTop = plotTop + plotHeight + 40
    let height = legendTop + series.count * 16 + 8
    let totals = nights.indices.map { night in series.reduce(0) { $0 + $1.counts[night] } }
    let top = max(1, totals.max() ?? 1)
    let step = max(1, Int((Double(top) / 4).rounded(.up)))
    let axisTop = step * 4
    let slot = Double(width - plotLeft - 8) / Double(max(1, nights.count))
    let barWidth = max(2, slot * 0.7)
    func y(_ value: Int) -> Double {
      Double(plotTop) + Double(plotHeight) * (1 - Double(value) / Double(axisTop))
    }
    var parts: [String] = []
    parts.append(
      ##"<svg xmlns="http://www.w3.org/2000/svg" width="\##(width)" height="\##(height)" role="img" aria-label="crashes per night">"##
    )
    for tick in 0...4 {
      let value = step * tick
      let at = y(value)
      parts.append(
        ##"<line x1="\##(plotLeft)" y1="\##(at)" x2="\##(width - 8)" y2="\##(at)" stroke="#d8dee4" />"##
      )
      parts.append(
        ##"<text x="\##(plotLeft - 6)" y="\##(at + 4)" text-anchor="end">\##(value)</text>"##)
    }
    for (index, night) in nights.enumerated() {
      let x = Double(plotLeft) + slot * Double(index) + (slot - barWidth) / 2
      var base = 0
      for (position, item) in series.enumerated() where item.counts[index] > 0 {
        let color = Self.colors[position % Self.colors.count]
        let upper = y(base + item.counts[index])
        let lower = y(base)
        parts.append(
          ##"<rect x="\##(x)" y="\##(upper)" width="\##(barWidth)" height="\##(lower - upper)" fill="\##(color)"><title>\##(Self.escape(night)): \##(Self.escape(item.name)) \##(item.counts[index])</title></rect>"##
        )
        base += item.counts[index]
      }
      if nights.count <= 16 || index % 2 == 0 {
        parts.append(
          ##"<text x="\##(x + barWidth / 2)" y="\##(plotTop + plotHeight + 14)" text-anchor="middle">\##(Self.escape(String(night.suffix(5))))</text>"##
        )
      }
    }
    for (position, item) in series.enumerated() {
      let color = Self.colors[position % Self.colors.count]
      let at = legendTop + position * 16
      parts.append(
        ##"<rect x="\##(plotLeft)" y="\##(at - 9)" width="10" height="10" fill="\##(color)" />"##)
      parts.append(
        ##"<text x="\##(plotLeft + 16)" y="\##(at)">\##(Self.escape(item.name))</text>"##)
    }
    parts.append("</svg>")
    return parts.joined(separator: "\n")
  }
}
