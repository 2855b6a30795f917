import CrashsiftTestSupport
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Headless Chromium driven over the DevTools protocol, so a test can click and type in a page
/// the way a reader does and then read what the page shows. The protocol runs on a pipe
/// (`--remote-debugging-pipe`: the browser reads commands on its fd 3 and writes replies and
/// events on its fd 4, each a JSON message ended by a NUL byte), so no port is opened.
///
/// Every page is opened in a fresh tab whose console, log and network events are recorded:
/// `problems` lists console messages, exceptions, log warnings and errors (a Content-Security-
/// Policy violation is one), and every request besides the page itself.
final class DevToolsBrowser {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  private let pid: pid_t
  private let commands: Int32
  private let replies: Int32
  private var buffer: [UInt8] = []
  private var nextID = 0
  private var pending: [[String: Any]] = []
  private var session = ""
  private var pageURL = ""
  private var exited = false
  private let profile = TemporaryDirectory("chromium-profile")
  /// How long one reply or event may take before the test fails instead of hanging.
  private let patience: TimeInterval = 60
  /// What the open page did that a report page never should, one line each.
  private(set) var problems: [String] = []

  init(executable: String) throws {
    // A write to a browser that died must fail with EPIPE, not end the test process.
    signal(SIGPIPE, SIG_IGN)
    func pipePair() throws -> (read: Int32, write: Int32) {
      var ends: [Int32] = [0, 0]
      guard pipe(&ends) == 0 else { throw Failure(description: "pipe: \(errno)") }
      // Above 10, so that placing them on 3 and 4 in the child cannot overwrite each other, and
      // closed on exec, so that only the browser gets them (on 3 and 4).
      let read = fcntl(ends[0], F_DUPFD_CLOEXEC, 10)
      let write = fcntl(ends[1], F_DUPFD_CLOEXEC, 10)
      Glibc.close(ends[0])
      Glibc.close(ends[1])
      return (read, write)
    }
    let toBrowser = try pipePair()
    let fromBrowser = try pipePair()
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toBrowser.read, 3)
    posix_spawn_file_actions_adddup2(&actions, fromBrowser.write, 4)
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let arguments = [
      executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-sync", "--disable-background-networking", "--disable-component-update",
      "--disable-default-apps", "--disable-extensions", "--user-data-dir=\(profile.path)",
      "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe", "about:blank",
    ]
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
    argv.append(nil)
    defer { argv.forEach { free($0) } }
    var child: pid_t = 0
    let status = posix_spawn(&child, executable, &actions, nil, argv, environ)
    Glibc.close(toBrowser.read)
    Glibc.close(fromBrowser.write)
    guard status == 0 else {
      Glibc.close(toBrowser.write)
      Glibc.close(fromBrowser.read)
      throw Failure(description: "cannot start \(executable): error \(status)")
    }
    pid = child
    commands = toBrowser.write
    replies = fromBrowser.read
  }

  deinit {
    if !exited {
      kill(pid, SIGKILL)
      var status: Int32 = 0
      waitpid(pid, &status, 0)
    }
    Glibc.close(commands)
    Glibc.close(replies)
  }

  /// Closes the browser and waits for it to exit.
  func quit() {
    _ = try? send("Browser.close", inSession: false)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    exited = true
  }

  /// Opens `file` in a new tab of `width`×`height` with scripts on or off, and waits until it
  /// has loaded. What the previous tab recorded is dropped.
  func open(_ file: String, scripts: Bool = true, width: Int = 1280, height: Int = 1000) throws {
    pageURL = URL(fileURLWithPath: file).absoluteString
    problems = []
    pending = []
    let target = try send("Target.createTarget", ["url": "about:blank"], inSession: false)
    guard let id = target["targetId"] as? String else {
      throw Failure(description: "no target: \(target)")
    }
    let attached = try send(
      "Target.attachToTarget", ["targetId": id, "flatten": true], inSession: false)
    guard let sessionID = attached["sessionId"] as? String else {
      throw Failure(description: "no session: \(attached)")
    }
    session = sessionID
    for domain in ["Page", "Runtime", "Log", "Network"] {
      try send("\(domain).enable")
    }
    try send(
      "Emulation.setDeviceMetricsOverride",
      ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": false])
    if !scripts {
      try send("Emulation.setScriptExecutionDisabled", ["value": true])
    }
    try send("Page.navigate", ["url": pageURL])
    try waitFor("Page.loadEventFired")
  }

  /// Evaluates `expression` in the page (DevTools' own evaluation: it runs with the page's
  /// scripts disabled too) and returns its value as JSON types.
  @discardableResult
  func evaluate(_ expression: String) throws -> Any? {
    let reply = try send(
      "Runtime.evaluate", ["expression": expression, "returnByValue": true])
    if let exception = reply["exceptionDetails"] {
      throw Failure(description: "\(expression): \(exception)")
    }
    return (reply["result"] as? [String: Any])?["value"]
  }

  /// Clicks the middle of the element `element` (a JavaScript expression) evaluates to, scrolled
  /// into view, with the mouse.
  func click(_ element: String) throws {
    let point = try evaluate(
      """
      (function () {
        var element = \(element);
        if (!element) return null;
        element.scrollIntoView({ block: "center" });
        var box = element.getBoundingClientRect();
        return [box.left + box.width / 2, box.top + box.height / 2];
      })()
      """)
    guard let xy = point as? [Double], xy.count == 2 else {
      throw Failure(description: "nothing to click at \(element)")
    }
    for type in ["mouseMoved", "mousePressed", "mouseReleased"] {
      try send(
        "Input.dispatchMouseEvent",
        ["type": type, "x": xy[0], "y": xy[1], "button": "left", "clickCount": 1])
    }
  }

  /// Types `text` into the focused element, as a keyboard's committed input.
  func type(_ text: String) throws {
    try send("Input.insertText", ["text": text])
  }

  /// Saves a PNG of the whole page to `path` and returns its size in bytes.
  @discardableResult
  func screenshot(to path: String) throws -> Int {
    let reply = try send(
      "Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
    guard let text = reply["data"] as? String, let data = Data(base64Encoded: text) else {
      throw Failure(description: "no screenshot")
    }
    try data.write(to: URL(fileURLWithPath: path))
    return data.count
  }

  /// Reads every event that has arrived, so that `problems` is up to date.
  func settle() throws {
    _ = try evaluate("0")
  }

  /// A string as a JavaScript literal.
  static func literal(_ text: String) throws -> String {
    let data = try JSONSerialization.data(withJSONObject: [text])
    let array = String(decoding: data, as: UTF8.self)
    return String(array.dropFirst().dropLast())
  }

  @discardableResult
  private func send(_ method: String, _ parameters: [String: Any] = [:], inSession: Bool = true)
    throws -> [String: Any]
  {
    nextID += 1
    var message: [String: Any] = ["id": nextID, "method": method, "params": parameters]
    if inSession { message["sessionId"] = session }
    var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
    bytes.append(0)
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { write(commands, $0.baseAddress, $0.count) }
      if written < 0 && errno == EINTR { continue }
      guard written > 0 else { throw Failure(description: "\(method): the browser is gone") }
      offset += written
    }
    while true {
      let reply = try receive()
      guard (reply["id"] as? Int) == nextID else {
        record(reply)
        continue
      }
      if let error = reply["error"] {
        throw Failure(description: "\(method): \(error)")
      }
      return reply["result"] as? [String: Any] ?? [:]
    }
  }

  private func waitFor(_ event: String) throws {
    if let index = pending.firstIndex(where: { $0["method"] as? String == event }) {
      pending.remove(at: index)
      return
    }
    while true {
      let message = try receive()
      if message["method"] as? String == event, message["sessionId"] as? String == session {
        return
      }
      record(message)
    }
  }

  /// Notes what a page event says about the page: messages and requests become problems.
  private func record(_ message: [String: Any]) {
    guard message["sessionId"] as? String == session, let method = message["method"] as? String
    else { return }
    let parameters = message["params"] as? [String: Any] ?? [:]
    switch method {
    case "Runtime.consoleAPICalled":
      let arguments = (parameters["args"] as? [[String: Any]] ?? []).map {
        "\($0["value"] ?? $0["description"] ?? "")"
      }
      problems.append("console.\(parameters["type"] ?? ""): \(arguments.joined(separator: " "))")
    case "Runtime.exceptionThrown":
      problems.append("exception: \(parameters["exceptionDetails"] ?? "")")
    case "Log.entryAdded":
      let entry = parameters["entry"] as? [String: Any] ?? [:]
      if let level = entry["level"] as? String, level == "error" || level == "warning" {
        problems.append("log \(level): \(entry["text"] ?? "")")
      }
    case "Network.requestWillBeSent":
      let url = (parameters["request"] as? [String: Any])?["url"] as? String ?? ""
      if url != pageURL { problems.append("request: \(url)") }
    default:
      pending.append(message)
    }
  }

  private func receive() throws -> [String: Any] {
    let deadline = Date().addingTimeInterval(patience)
    while true {
      if let end = buffer.firstIndex(of: 0) {
        let data = Data(buffer[..<end])
        buffer.removeSubrange(...end)
        guard let message = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
          throw Failure(description: "not a protocol message")
        }
        return message
      }
      let remaining = deadline.timeIntervalSinceNow
      guard remaining > 0 else {
        throw Failure(description: "the browser did not answer within \(Int(patience)) s")
      }
      var descriptor = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
      let ready = poll(&descriptor, 1, Int32(remaining * 1000))
      if ready < 0 && errno == EINTR { continue }
      guard ready > 0 else { continue }
      var chunk = [UInt8](repeating: 0, count: 1 << 16)
      let count = chunk.withUnsafeMutableBytes { read(replies, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { throw Failure(description: "the browser closed the pipe") }
      buffer.append(contentsOf: chunk[..<count])
    }
  }
}
