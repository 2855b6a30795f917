import Foundation

/// Validates crashsift's JSON and CSV output against `docs/schema/` with Python's `jsonschema`
/// (`scripts/validate-schema.py`, run by the test venv that `scripts/install-deps.sh` creates).
public enum SchemaValidator {
  /// The test venv's Python: `CRASHSIFT_TEST_VENV`, else `~/.cache/crashsift-test-venv`.
  public static var python: String? {
    let venv =
      ProcessInfo.processInfo.environment["CRASHSIFT_TEST_VENV"]
      ?? "\(NSHomeDirectory())/.cache/crashsift-test-venv"
    let python = "\(venv)/bin/python"
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
  }

  /// What the schema tests need: the test venv with `jsonschema` (`scripts/install-deps.sh`).
  public static let requirement = Requirement.capability("the schema validator venv") {
    python == nil
      ? "the schema validator venv is missing at ~/.cache/crashsift-test-venv (or "
        + "$CRASHSIFT_TEST_VENV); run scripts/install-deps.sh" : nil
  }

  /// The schema folder and the validator script of this checkout.
  public static let schemas = "\(Corpus.packageRoot)/docs/schema"
  static let script = "\(Corpus.packageRoot)/scripts/validate-schema.py"

  /// Validates files (`.json`: documents naming their schema; `.csv`: report tables). Returns
  /// the validator's error lines; empty when every file conforms.
  public static func errors(files: [String], schemas directory: String = schemas) throws
    -> [String]
  {
    guard let python else { return ["schema validator venv missing"] }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script, "--schemas", directory] + files
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    var lines = String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    if process.terminationStatus != 0 && lines.isEmpty {
      lines = [
        "validator exited \(process.terminationStatus): "
          + String(decoding: stderr, as: UTF8.self)
      ]
    }
    return lines
  }

  /// Validates one document given as text (written to a scratch file named `name`).
  public static func errors(json text: String, name: String, in directory: TemporaryDirectory)
    throws -> [String]
  {
    let path = directory.file(name)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return try errors(files: [path])
  }
}
