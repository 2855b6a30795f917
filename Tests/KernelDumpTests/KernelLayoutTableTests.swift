import CrashsiftTestSupport
import Foundation
import Testing

@testable import KernelDump

/// The compiled table is docs/kernel-offsets/offsets.json (scripts/gen-kernel-layout.py), and the
/// offsets the reader uses for a build are that file's rows.
@Suite("kernel layout table")
struct KernelLayoutTableTests {
  @Test("KernelLayoutTable+Rows.swift equals offsets.json without its inferred rows")
  func generated() throws {
    let path = "\(Corpus.packageRoot)/docs/kernel-offsets/offsets.json"
    let rows = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        as? [[String: Any]])
    let machines: [String: UInt32] = ["x64": 0x8664, "x86": 0x14C, "arm64": 0xAA64]
    let kept = rows.filter { $0["confidence"] as? String != "inferred" }
    #expect(kept.count == KernelLayoutTable.all.count, "run scripts/gen-kernel-layout.py")
    var unread: Set<String> = []
    for (json, row) in zip(kept, KernelLayoutTable.all) {
      let field = json["field"] as? String ?? ""
      #expect(machines[json["machine"] as? String ?? ""] == row.machine, "\(json)")
      #expect(json["build_min"] as? Int == Int(row.builds.lowerBound), "\(json)")
      #expect(json["build_max"] as? Int == Int(row.builds.upperBound), "\(json)")
      let offset = (json["offset"] as? String).flatMap { Int($0.dropFirst(2), radix: 16) }
      #expect(offset == row.offset, "\(json)")
      #expect(row.field?.rawValue == (row.field == nil ? nil : field), "\(json)")
      if row.field == nil { unread.insert(field) }
    }
    // Fields the file records that the reader does not show yet; a new one must be decided on.
    #expect(unread == ["ETHREAD.CreateTime", "ETHREAD.StartAddress"], "\(unread.sorted())")
  }

  @Test("x64 19041: every field the process walk reads has an offset")
  func build19041() {
    let layout = KernelTypeLayout.of(machine: 0x8664, build: 19041, debuggerData: nil)
    #expect(layout.missing.isEmpty, "\(layout.missing)")
    #expect(layout[.activeProcessLinks] == 0x448)
    #expect(layout[.threadListEntry] == 0x2F8)
    #expect(layout[.clientID] == 0x478)
  }
}
