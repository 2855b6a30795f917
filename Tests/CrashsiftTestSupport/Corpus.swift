import Foundation

/// The shared fixture corpus: `CRASHSIFT_CORPUS`, else `../shared/corpus` beside the checkout.
///
/// Tests that need it call `Corpus.require()`: when the corpus is absent they skip with a visible
/// message, except under `CI=true`, where absence is a failure.
public enum Corpus {
  /// The package root (the directory holding Package.swift).
  public static let packageRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// The corpus directory, if present.
  public static var root: String? {
    let candidate =
      ProcessInfo.processInfo.environment["CRASHSIFT_CORPUS"]
      ?? URL(fileURLWithPath: packageRoot).deletingLastPathComponent()
      .appendingPathComponent("shared/corpus").standardizedFileURL.path
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory)
      && isDirectory.boolValue ? candidate : nil
  }

  /// Why a corpus test cannot run, or `nil` when it can.
  public static var absenceMessage: String? {
    root == nil
      ? "fixture corpus not found (set CRASHSIFT_CORPUS or place it at ../shared/corpus); skipping"
      : nil
  }
}
