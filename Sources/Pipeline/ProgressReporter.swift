import Foundation

/// Draws one stage's progress on standard error: a bar with rate and ETA on a terminal, a plain
/// line every `lineInterval` seconds otherwise. Called only from the writer thread.
public final class ProgressReporter {
  private let mode: ProgressMode
  private let stage: String
  private let unit: String
  private let total: Int64
  private let started = Date()
  private var lastDraw = Date.distantPast
  private var drewBar = false
  private let lineInterval: TimeInterval = 5

  /// - Parameters:
  ///   - total: the amount of work (bytes or items) that `update` counts towards.
  ///   - unit: `bytes` or a noun for items.
  public init(mode: ProgressMode, stage: String, total: Int64, unit: String) {
    self.mode = mode
    self.stage = stage
    self.total = max(total, 1)
    self.unit = unit
  }

  /// Reports `done` units finished; `detail` is appended (e.g. "412 dumps").
  public func update(done: Int64, detail: String) {
    let now = Date()
    switch mode {
    case .quiet:
      return
    case .bar:
      guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
      lastDraw = now
      drewBar = true
      FileHandle.standardError.write(Data(("\r\u{1B}[K" + line(done: done, detail: detail)).utf8))
    case .lines:
      guard now.timeIntervalSince(lastDraw) >= lineInterval else { return }
      if lastDraw == .distantPast {
        lastDraw = now
        return
      }
      lastDraw = now
      FileHandle.standardError.write(Data((line(done: done, detail: detail) + "\n").utf8))
    }
  }

  /// Ends the bar with a final summary line.
  public func finish(detail: String) {
    guard mode != .quiet else { return }
    let seconds = Date().timeIntervalSince(started)
    let prefix = drewBar ? "\r\u{1B}[K" : ""
    FileHandle.standardError.write(
      Data("\(prefix)\(stage): \(detail) in \(Self.duration(seconds))\n".utf8))
  }

  private func line(done: Int64, detail: String) -> String {
    let fraction = min(1, Double(done) / Double(total))
    let elapsed = Date().timeIntervalSince(started)
    let rate = elapsed > 0 ? Double(done) / elapsed : 0
    let eta = rate > 0 ? Double(total - min(done, total)) / rate : 0
    let width = 24
    let filled = Int(fraction * Double(width))
    let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
    let rateText =
      unit == "bytes" ? "\(Self.bytes(rate))/s" : String(format: "%.0f \(unit)/s", rate)
    let percent = String(format: "%3.0f%%", fraction * 100)
    return "\(stage) [\(bar)] \(percent) \(detail) \(rateText) ETA \(Self.duration(eta))"
  }

  static func bytes(_ value: Double) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = value
    var index = 0
    while value >= 1024 && index < units.count - 1 {
      value /= 1024
      index += 1
    }
    return String(format: index == 0 ? "%.0f " : "%.1f ", value) + units[index]
  }

  static func duration(_ seconds: Double) -> String {
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    let total = Int(seconds)
    return total >= 3600
      ? "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
      : "\(total / 60)m\(String(format: "%02d", total % 60))s"
  }
}
