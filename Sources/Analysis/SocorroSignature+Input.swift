import Foundation

extension SocorroSignature.CrashData {
  /// siggen's "signature generation crash data" JSON (`threads[].frames[]`, `crashing_thread`,
  /// `reason`, `os`, `oom_allocation_size`). Like siggen 2.2.20241029, a `null` crashing thread
  /// falls back to thread 0 (its `int(None)` TypeError path).
  public init(json: [String: Any]) {
    let threads = json["threads"] as? [[String: Any]] ?? []
    let index = (json["crashing_thread"] as? Int) ?? 0
    var frames: [SocorroSignature.Frame]?
    if index >= 0, index < threads.count {
      frames = (threads[index]["frames"] as? [[String: Any]] ?? []).map { raw in
        var frame = SocorroSignature.Frame(
          function: raw["function"] as? String, module: raw["module"] as? String,
          file: raw["file"] as? String, line: raw["line"] as? Int, offset: raw["offset"] as? String,
          unloadedModule: (raw["unloaded_modules"] as? [[String: Any]])?.first?["module"] as? String
        )
        frame.inlines = (raw["inlines"] as? [[String: Any]] ?? []).map {
          ($0["function"] as? String, $0["file"] as? String, $0["line"] as? Int)
        }
        return frame
      }
    }
    let size = (json["oom_allocation_size"] as? NSNumber)?.int64Value
    self.init(
      os: json["os"] as? String, reason: json["reason"] as? String, oomAllocationSize: size,
      frames: frames)
  }

  /// Our own walked stack as siggen's input: module names, functions, files and lines as the
  /// stack named them, inlined calls innermost first, `os` Windows NT.
  public init(stack: ThreadStack, reason: String?) {
    let frames = stack.frames.map { frame -> SocorroSignature.Frame in
      let location = frame.location
      var unloaded: String?
      var module = location.module
      if let name = module, name.hasPrefix("<Unloaded_"), name.hasSuffix(">") {
        unloaded = String(name.dropFirst(10).dropLast())
        module = nil
      }
      var result = SocorroSignature.Frame(
        function: location.function, module: module, file: location.file,
        line: location.line.map(Int.init),
        offset: "0x" + String(frame.instruction, radix: 16), unloadedModule: unloaded)
      // CrashLocation keeps inlined calls as "name [file : line]", innermost first.
      result.inlines = location.inlines.map { text in
        guard let open = text.lastIndex(of: "[") else { return (text, nil, nil) }
        let name = text[..<open].trimmingCharacters(in: .whitespaces)
        let inside = text[text.index(after: open)...].dropLast()
        let parts = inside.components(separatedBy: " : ")
        return (name, parts.first, parts.count > 1 ? Int(parts[1]) : nil)
      }
      return result
    }
    self.init(os: "Windows NT", reason: reason, frames: frames)
  }
}

extension SocorroSignature.CrashData {
  /// siggen's crash-data JSON for this input (what `signify` reads), e.g. to compare with siggen.
  public var json: [String: Any] {
    var object: [String: Any] = ["crashing_thread": 0]
    if let os { object["os"] = os }
    if let reason { object["reason"] = reason }
    if let oomAllocationSize { object["oom_allocation_size"] = oomAllocationSize }
    let list: [[String: Any]] = (frames ?? []).enumerated().map { index, frame in
      var raw: [String: Any] = ["frame": index]
      if let value = frame.function { raw["function"] = value }
      if let value = frame.module { raw["module"] = value }
      if let value = frame.file { raw["file"] = value }
      if let value = frame.line { raw["line"] = value }
      if let value = frame.offset { raw["offset"] = value }
      if let value = frame.unloadedModule {
        raw["unloaded_modules"] = [["module": value, "offsets": [String]()]]
      }
      if !frame.inlines.isEmpty {
        raw["inlines"] = frame.inlines.map { inline -> [String: Any] in
          var item: [String: Any] = [:]
          if let value = inline.function { item["function"] = value }
          if let value = inline.file { item["file"] = value }
          if let value = inline.line { item["line"] = value }
          return item
        }
      }
      return raw
    }
    object["threads"] = [["frames": list]]
    return object
  }
}
