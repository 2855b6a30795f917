import Checkpoint
import Foundation
import Ingest

/// The layout of a workspace (output) directory.
///
/// ```
/// out/crashsift.sqlite     checkpoint database (WAL: also -wal and -shm)
/// out/crashsift.lock       flock(2) lock and who holds it
/// out/dumps/ab/abcd….dmp   content-addressed dump store (a shard's may link to a shared store)
/// out/tmp/                 partial dumps and spooled nested archives of the running process
/// out/report/              reports
/// ```
public struct Workspace: Sendable, Equatable {
  /// The workspace directory.
  public var directory: String

  public init(directory: String) { self.directory = directory }

  public var databasePath: String { "\(directory)/crashsift.sqlite" }
  public var storeDirectory: String { "\(directory)/dumps" }
  /// Partial dumps and spooled archives: `tmp/`, or, when `dumps` is a link to a store shared
  /// with other workspaces (`run --plan … --store DIR`), a folder of this workspace's own on that
  /// store's filesystem, so finished dumps are renamed into place, never copied.
  public var temporaryDirectory: String {
    guard let shared = sharedStore else { return "\(directory)/tmp" }
    // Keyed by host and path: shards on different nodes may use the same local path.
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in "\(ProcessInfo.processInfo.hostName)\u{0}\(directory)".utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
    }
    return "\(shared)/.incoming/\(String(hash, radix: 16))"
  }

  /// The store `dumps` links to, when it is a link (a store shared by shard workspaces).
  public var sharedStore: String? {
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: storeDirectory)
    else { return nil }
    return target.hasPrefix("/")
      ? target : URL(fileURLWithPath: "\(directory)/\(target)").standardized.path
  }

  /// Makes `dumps` a link to the shared store `store` (created if needed); refuses a workspace
  /// that already keeps dumps of its own or links elsewhere.
  public func linkStore(to store: String) throws {
    let manager = FileManager.default
    let wanted = URL(fileURLWithPath: store).standardized.path
    try manager.createDirectory(atPath: wanted, withIntermediateDirectories: true)
    try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
    if let current = sharedStore {
      guard current == wanted else {
        throw WorkspaceStoreError(
          "\(storeDirectory) links to \(current), not \(wanted): give each store its own workspace")
      }
      return
    }
    if manager.fileExists(atPath: storeDirectory) {
      throw WorkspaceStoreError(
        "\(storeDirectory) already holds dumps of its own; --store needs a fresh workspace")
    }
    try manager.createSymbolicLink(atPath: storeDirectory, withDestinationPath: wanted)
  }
  public var reportDirectory: String { "\(directory)/report" }

  /// Opens (creating) the dump store.
  public func openStore() throws -> DumpStore {
    try DumpStore(root: storeDirectory, temporaryDirectory: temporaryDirectory)
  }

  /// Opens (creating and migrating) the checkpoint database.
  public func openDatabase() throws -> CheckpointDatabase {
    try CheckpointDatabase(path: databasePath)
  }
}
