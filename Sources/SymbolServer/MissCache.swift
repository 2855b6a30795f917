import Foundation
import Symbols

/// Keys a server did not have, remembered on disk in the cache folder so the next runs do not
/// ask again until the entry expires. One small file per server and key; its modification time
/// is when the miss was seen and its text says what was tried.
struct MissCache {
  let folder: String
  let expiry: TimeInterval

  init(cache: String, server: String, expiry: TimeInterval) {
    folder = "\(cache)/.crashsift-misses/\(Self.fingerprint(server))"
    self.expiry = expiry
  }

  /// The remembered reason, if `key` missed within `expiry`. A warm night asks this for every
  /// module some server lacks, so it is one `stat` and one small read, without Foundation's
  /// attribute dictionary or a date formatter built per call.
  func remembered(_ key: SymbolStoreKey) -> String? {
    guard expiry > 0 else { return nil }
    let path = self.path(key)
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    let seen = TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9
    let until = Date(timeIntervalSince1970: seen).addingTimeInterval(expiry)
    guard until > Date() else {
      unlink(path)
      return nil
    }
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "not on the server"
    return "\(text) (remembered miss; asked again after \(until.formatted(.iso8601)))"
  }

  func remember(_ key: SymbolStoreKey, reason: String) {
    guard expiry > 0 else { return }
    let path = self.path(key)
    let directory = (path as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let temporary = path + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(reason.utf8)) else {
      return
    }
    if rename(temporary, path) != 0 { unlink(temporary) }
  }

  private func path(_ key: SymbolStoreKey) -> String {
    "\(folder)/\(key.folder.lowercased())/\(key.index.uppercased())/\(key.file.lowercased())"
  }

  /// FNV-1a of the server URL: a stable folder name per server without its credentials shown.
  static func fingerprint(_ server: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in server.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
  }
}
