/// Shows paths under a base directory relative to it, so that a report (and its golden files)
/// does not depend on where the corpus lives; other paths stay as they are.
struct RelativePath {
  var base: String?

  func of(_ path: String) -> String {
    guard var prefix = base, !prefix.isEmpty else { return path }
    if !prefix.hasSuffix("/") { prefix += "/" }
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
  }

  /// `text` with every path under the base shown relative to it (error messages name paths).
  func within(_ text: String) -> String {
    guard var prefix = base, !prefix.isEmpty else { return text }
    if !prefix.hasSuffix("/") { prefix += "/" }
    return text.replacingOccurrences(of: prefix, with: "")
  }
}
