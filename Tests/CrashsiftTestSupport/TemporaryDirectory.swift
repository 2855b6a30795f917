import Foundation

/// A fresh directory under the system temporary directory, removed when released.
public final class TemporaryDirectory: @unchecked Sendable {
  /// Absolute path.
  public let path: String

  public init(_ label: String = "crashsift-test") {
    var base = NSTemporaryDirectory()
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    var template = Array("\(base)/\(label)-XXXXXX".utf8CString)
    let created = template.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
    path = created ?? "\(base)/\(label)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// `path/relative`, with parent directories created.
  public func file(_ relative: String) -> String {
    let full = "\(path)/\(relative)"
    try? FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    return full
  }

  /// Every regular file below the directory, relative paths, sorted.
  public func allFiles() -> [String] { Self.files(under: path) }

  /// Every regular file below `path`, relative paths, sorted (none when it does not exist).
  public static func files(under path: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
    var files: [String] = []
    while let name = enumerator.nextObject() as? String {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: "\(path)/\(name)", isDirectory: &isDirectory),
        !isDirectory.boolValue
      {
        files.append(name)
      }
    }
    return files.sorted()
  }
}
