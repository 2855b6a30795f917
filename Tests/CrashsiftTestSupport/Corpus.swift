import Foundation

/// The shared fixture corpus: `CRASHSIFT_CORPUS`, else `../shared/corpus` beside the checkout.
///
/// Tests that need it carry the `.requires(.corpus)` trait and read the path with
/// `Requirement.corpus.resolve()`: when the corpus is absent they are skipped, except under
/// `CI=true`, where absence is a failure.
public enum Corpus {
  /// The package root (the directory holding Package.swift).
  public static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// Where the corpus is looked for.
  public static var candidate: String {
    ProcessInfo.processInfo.environment["CRASHSIFT_CORPUS"]
      ?? URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
      .appendingPathComponent("shared/corpus").standardizedFileURL.path
  }

  /// The corpus directory, if present.
  public static var root: String? {
    let path = candidate
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
      && isDirectory.boolValue ? path : nil
  }
}
