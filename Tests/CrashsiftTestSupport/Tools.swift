import Foundation

/// Finding and running external programs in tests.
public enum Tools {
  /// The absolute path of `name` on PATH.
  public static func find(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":") {
      let candidate = "\(directory)/\(name)"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  /// Runs a program to completion; returns its exit status.
  @discardableResult
  public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil)
    throws -> Int32
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// Whether this is a CI run, where missing inputs fail instead of skipping.
  public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}

extension Tools {
  /// Where `../shared/oracles/install.sh` puts the oracle venv's Python, found as that script
  /// and the oracles find it. It lives in the user's cache, so hiding the corpus does not hide it.
  public static var oracleVenvPython: String {
    let environment = ProcessInfo.processInfo.environment
    let cache = environment["XDG_CACHE_HOME"] ?? "\(NSHomeDirectory())/.cache"
    let venv = environment["CRASHSIFT_ORACLE_VENV"] ?? "\(cache)/crashsift-oracles/venv"
    return "\(venv)/bin/python"
  }

  /// The oracle venv's Python, if installed.
  public static var oraclePython: String? {
    FileManager.default.isExecutableFile(atPath: oracleVenvPython) ? oracleVenvPython : nil
  }

  /// The oracle scripts' folder: `oracles/` beside the corpus (`../shared/oracles/`).
  public static var oracleDirectory: String {
    URL(fileURLWithPath: Corpus.candidate).deletingLastPathComponent()
      .appendingPathComponent("oracles").standardizedFileURL.path
  }

  /// A script under `../shared/oracles/`, if the shared folder is there.
  public static func oracleScript(_ name: String) -> String? {
    guard Corpus.root != nil else { return nil }
    let path = "\(oracleDirectory)/\(name)"
    return FileManager.default.fileExists(atPath: path) ? path : nil
  }

  /// Runs a program and returns its standard output (standard error is discarded).
  public static func output(_ executable: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data
  }
}
