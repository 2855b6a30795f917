import CrashsiftTestSupport
import Foundation

/// Renders a local page in headless Chromium (Debian's `chromium`) and reports what went wrong:
/// console messages, and every resource the page requested besides itself (a report page needs
/// none, so any request is a defect, and one for a file that does not exist a failed request).
/// Chromium's verbose log names each request (`FileURLLoader::Start`, `NotifyBeforeURLRequest`)
/// and each console message (`CONSOLE`); background services are switched off and host names
/// resolve to nothing, so the page cannot reach the network either.
struct HeadlessChromium {
  var executable: String
  /// What Chromium fetches by itself whatever the page (time, update and account services),
  /// as scheme, host and path: measured on an empty page by `calibrate()` and left out.
  var background: Set<String> = []

  /// Scheme, host and path of a URL (query strings of background requests vary).
  static func endpoint(_ url: String) -> String {
    guard let parts = URLComponents(string: url) else { return url }
    return "\(parts.scheme ?? "")://\(parts.host ?? "")\(parts.path)"
  }

  /// Chromium's own services, which it may call at any moment of a run; a report page never
  /// names them, and the calibration alone could miss one that fires late.
  static let serviceDomains = ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"]

  func isBackground(_ url: String) -> Bool {
    if background.contains(Self.endpoint(url)) { return true }
    guard let host = URLComponents(string: url)?.host else { return false }
    return Self.serviceDomains.contains { host == $0 || host.hasSuffix("." + $0) }
  }

  /// Records the requests Chromium makes on an empty local page.
  mutating func calibrate(scratch: TemporaryDirectory) throws {
    let empty = scratch.file("empty.html")
    try #"<!DOCTYPE html><html><head><meta charset="utf-8"/><title>e</title></head></html>"#
      .write(toFile: empty, atomically: true, encoding: .utf8)
    let outcome = try render(empty, screenshot: scratch.file("empty.png"), height: 100)
    background = Set(outcome.requests.map(Self.endpoint))
  }

  /// Chromium on PATH, under Debian's or Ubuntu's name.
  static let requirement = Requirement.tool("chromium", "chromium-browser")

  /// Chromium on PATH; throws naming it when it is not installed.
  static func find() throws -> HeadlessChromium {
    HeadlessChromium(executable: try requirement.resolve())
  }

  struct Outcome {
    var consoleMessages: [String]
    var requests: [String]
    var screenshotBytes: Int
    var log: String
  }

  /// Loads `page` and saves a screenshot of `width`×`height` to `screenshot`.
  func render(_ page: String, screenshot: String, width: Int = 1280, height: Int = 2000) throws
    -> Outcome
  {
    let profile = TemporaryDirectory("chromium-profile")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
      "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
      "--disable-extensions", "--user-data-dir=\(profile.path)", "--enable-logging=stderr",
      "--v=1", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=\(width),\(height)",
      "--screenshot=\(screenshot)", URL(fileURLWithPath: page).absoluteString,
    ]
    let errors = TemporaryDirectory("chromium-log")
    let logPath = errors.file("stderr.log")
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
    process.standardOutput = FileHandle.nullDevice
    process.standardError = log
    try? FileManager.default.removeItem(atPath: screenshot)
    try process.run()
    process.waitUntilExit()
    try log.close()
    let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    var console: [String] = []
    var requests: [String] = []
    let own = URL(fileURLWithPath: page).absoluteString
    for line in text.split(separator: "\n") {
      if line.contains(":CONSOLE") {
        console.append(String(line))
      }
      for marker in ["FileURLLoader::Start: ", "NotifyBeforeURLRequest: "] {
        guard let range = line.range(of: marker) else { continue }
        let url = String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        if url != own && !isBackground(url) { requests.append(url) }
      }
    }
    let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
    return Outcome(consoleMessages: console, requests: requests, screenshotBytes: size, log: text)
  }
}
