import Foundation

/// `crashsift worker` processes whose run is gone (re-parented to init): a supervisor that lets
/// its workers outlive it would leave them reading a workspace nobody runs.
public enum OrphanWorkers {
  /// "pid: command line" of every orphaned worker of the binary under test that is still there
  /// after a grace period. A worker whose run was just killed (another suite kills runs on
  /// purpose) is reparented before its parent-death signal ends it: for a few milliseconds it
  /// looks orphaned while it is already dying. One that survives 3 s is a real leak.
  public static func list() -> [String] {
    var found = snapshot()
    var waited = 0
    while !found.isEmpty && waited < 30 {
      usleep(100_000)
      waited += 1
      let now = Set(snapshot())
      found = found.filter { now.contains($0) }
    }
    return found
  }

  private static func snapshot() -> [String] {
    let binary = CrashsiftBinary.path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return names.compactMap { name -> String? in
      guard Int32(name) != nil,
        let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline"),
        let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8)
      else { return nil }
      let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
      guard arguments.count >= 2, arguments[1] == "worker",
        URL(fileURLWithPath: arguments[0]).lastPathComponent
          == URL(fileURLWithPath: binary).lastPathComponent
      else { return nil }
      // Field 4 of /proc/PID/stat, after the parenthesised command name.
      guard let close = stat.lastIndex(of: ")") else { return nil }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, fields[1] == "1" else { return nil }
      return "\(name): \(arguments.joined(separator: " "))"
    }
  }
}
