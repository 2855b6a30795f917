import CBuildInfo
import Foundation

/// What this binary is: the release number and the git commit it was built from.
public enum BuildInfo {
  /// The crashsift release. Bump it with every tagged release; packages take their version from
  /// it (`crashsift --version`).
  public static let release = "0.9.0"

  /// The git commit: baked in by `scripts/package.sh`; in a development build, asked of git in the
  /// checkout the binary was built from (once, and only when something prints it), else
  /// `unknown`. A dev build's commit may have uncommitted edits on top.
  public static let commit: String = {
    let baked = String(cString: crashsift_baked_commit())
    if !baked.isEmpty { return baked }
    return devCommit() ?? "unknown"
  }()

  /// `git rev-parse HEAD` in the source folder of this file, if git and the checkout are there.
  private static func devCommit() -> String? {
    let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: source) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "-C", source, "rev-parse", "HEAD"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard process.terminationStatus == 0, text.count == 40,
      text.allSatisfy({ $0.isHexDigit })
    else { return nil }
    return text
  }
}
