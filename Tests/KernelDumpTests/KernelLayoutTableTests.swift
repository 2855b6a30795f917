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

  @Test(
    "x64 7600–19045 and 26100, x86 7600–19045: the table alone gives every field the walk reads",
    arguments: [
      (0x8664, [7600, 7601, 9200, 9600, 10240, 10586, 14393, 15063, 16299, 17134, 17763, 18362]),
      (0x8664, [18363, 19041, 19045, 26100]),
      (0x14C, [7600, 7601, 9200, 9600, 10240, 10586, 14393, 15063, 16299, 17134, 17763]),
      (0x14C, [18362, 18363, 19041, 19042, 19045]),
    ])
  func complete(machine: Int, builds: [Int]) {
    for build in builds {
      let layout = KernelTypeLayout.of(
        machine: UInt32(machine), build: UInt32(build), debuggerData: nil)
      #expect(layout.missing.isEmpty, "\(String(machine, radix: 16)) \(build): \(layout.missing)")
    }
  }

  @Test("the known gaps (docs/kernel-offsets/README.md): only these fields, so a change is seen")
  func gaps() {
    func missing(_ machine: UInt32, _ build: UInt32) -> [String] {
      KernelTypeLayout.of(machine: machine, build: build, debuggerData: nil).missing.map(\.rawValue)
    }
    // Windows 11 x64: ParentCid and ApcState.Process come from the dump's KDDEBUGGER_DATA64.
    #expect(
      missing(0x8664, 22621) == [
        "EPROCESS.InheritedFromUniqueProcessId", "KTHREAD.ApcState.Process",
      ])
    #expect(missing(0x8664, 22631).count == 5)
    #expect(missing(0x8664, 22000).count == 19)
    #expect(missing(0xAA64, 26100) == ["MM_SESSION_SPACE.SessionId"])
    #expect(missing(0xAA64, 22000).count == 16)
  }

  @Test("x86 1903: ETHREAD past the 8 bytes KTHREAD grew by (not the pre-release 1809 layout)")
  func x86Build18362() {
    let layout = KernelTypeLayout.of(machine: 0x14C, build: 18362, debuggerData: nil)
    #expect(layout[.clientID] == 0x384)
    #expect(layout[.executiveThreadListEntry] == 0x3BC)
    #expect(
      KernelTypeLayout.of(machine: 0x14C, build: 17763, debuggerData: nil)[.clientID] == 0x37C)
  }
}
