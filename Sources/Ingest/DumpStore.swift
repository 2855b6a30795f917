import CPosix
import Foundation
import Synchronization

/// The workspace's content-addressed dump store: `<root>/ab/abcdef….dmp`, named by SHA-256.
///
/// Content is written to a temporary file in `temporaryDirectory` and renamed into place only
/// when complete, so a killed run never leaves a partial dump under its hash; leftovers in the
/// temporary directory are removed by `removeTemporaryFiles()` at the start of the next run.
/// Entry names from archives are never used as file names, so `..`, absolute paths and links in
/// an archive cannot write outside the store.
public final class DumpStore: Sendable {
  /// Directory holding the two-hex-digit fan-out folders.
  public let root: String
  /// Directory for partial dumps and spooled nested archives (same filesystem as `root`).
  public let temporaryDirectory: String
  /// Fan-out folders known to exist, so a night of small dumps does not ask mkdir(2) 10,000
  /// times for 256 folders.
  let fanOuts = Mutex<Set<Substring>>([])
  /// Filesystems (st_dev of the source) that refused a reflink into the store: not tried again.
  let reflinkRefused = Mutex<Set<UInt64>>([])

  /// Creates the directories if needed.
  public init(root: String, temporaryDirectory: String) throws(IngestError) {
    self.root = root
    self.temporaryDirectory = temporaryDirectory
    for directory in [root, temporaryDirectory] {
      do {
        try FileManager.default.createDirectory(
          atPath: directory, withIntermediateDirectories: true)
      } catch {
        throw .store("cannot create \(directory): \(error.localizedDescription)")
      }
    }
  }

  /// The store path of a dump relative to `root`, e.g. `ab/abcdef….dmp`.
  public static func relativePath(sha256: String) -> String {
    "\(sha256.prefix(2))/\(sha256).dmp"
  }

  /// The absolute (or root-relative) path of a stored dump.
  public func path(sha256: String) -> String {
    "\(root)/\(Self.relativePath(sha256: sha256))"
  }

  /// Deletes what interrupted runs left in the temporary directory. Call only while holding the
  /// workspace lock, or a live run's partial files would vanish.
  public func removeTemporaryFiles() {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory)
    else { return }
    for name in names { unlink("\(temporaryDirectory)/\(name)") }
  }

  /// Starts writing a new dump.
  func begin() throws(IngestError) -> DumpStoreWriter {
    try DumpStoreWriter(store: self, temporaryPath: makeTemporaryFile(prefix: "dump"))
  }

  /// Creates an empty temporary file and returns its path and open descriptor.
  func makeTemporaryFile(prefix: String) throws(IngestError) -> (path: String, fd: Int32) {
    var template = Array("\(temporaryDirectory)/\(prefix)-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkostemp($0.baseAddress, O_CLOEXEC) }
    guard fd >= 0 else {
      throw .store(
        "cannot create a temporary file in \(temporaryDirectory): \(String(cString: strerror(errno)))"
      )
    }
    let path = String(
      decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return (path, fd)
  }

  /// Flushes the store's filesystem, so rows that name stored dumps are never committed ahead of
  /// the dumps' bytes (`syncfs(2)`: one call per transaction, not one per file).
  public func synchronize() {
    let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    syncfs(fd)
    close(fd)
  }
}
