import Foundation

/// Shell-style path globbing (`*`, `?`, `[…]`) through glob(3); regular files only, sorted.
enum Glob {
  static func hasWildcards(_ pattern: String) -> Bool {
    pattern.contains { "*?[".contains($0) }
  }

  static func expand(_ pattern: String) -> [String] {
    guard hasWildcards(pattern) else {
      var info = stat()
      return stat(pattern, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? [pattern] : []
    }
    var result = glob_t()
    defer { globfree(&result) }
    guard glob(pattern, 0, nil, &result) == 0 else { return [] }
    var paths: [String] = []
    for index in 0..<Int(result.gl_pathc) {
      guard let cString = result.gl_pathv[index] else { continue }
      let path = String(cString: cString)
      var info = stat()
      if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { paths.append(path) }
    }
    return paths.sorted()
  }
}
