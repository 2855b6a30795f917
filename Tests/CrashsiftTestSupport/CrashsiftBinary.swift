import Foundation

/// Runs the built `crashsift` executable, as a user would.
public enum CrashsiftBinary {
  /// The executable: `CRASHSIFT_BIN`, else next to the test bundle in the build directory.
  public static var path: String {
    if let explicit = ProcessInfo.processInfo.environment["CRASHSIFT_BIN"] { return explicit }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    // swift-testing and XCTest runners both live in .build/<triple>/debug, possibly inside
    // a bundle directory.
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("crashsift").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory.deleteLastPathComponent()
    }
    return "\(Corpus.packageRoot)/.build/debug/crashsift"
  }

  /// The result of one invocation.
  public struct Result: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Whether the process was killed by a signal (`status` is then the signal).
    public var signaled: Bool
  }

  /// One cache folder for every binary run of this test process.
  static let testCache: String = {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "crashsift-test-cache-\(ProcessInfo.processInfo.processIdentifier)"
    ).path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }()

  /// Starts `crashsift` with `arguments`; the caller waits or kills.
  public static func start(
    _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
  ) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    // A developer's WinDbg symbol path must not change what the golden files see, and the runs'
    // expanded symbols and table archives stay out of the user's cache.
    env["_NT_SYMBOL_PATH"] = nil
    env["XDG_CACHE_HOME"] = testCache
    for (key, value) in environment { env[key] = value }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
  }

  /// Runs `crashsift` to completion.
  public static func run(
    _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
  ) throws -> Result {
    let (process, out, err) = try start(arguments, environment: environment, in: directory)
    // Read before waiting, or a full pipe would block the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self),
      signaled: process.terminationReason == .uncaughtSignal)
  }
}
