import DumpSynth
import Testing

@testable import KernelDump

/// Handle counts (WinDbg's `!process` HandleCount) from the synthetic machines' handle tables:
/// Windows 7's field, the table walk of later builds (one and two levels, closed handles, the
/// reserved first entry of each page), and damaged tables that must give no count rather than a
/// wrong one, without stopping the rest of the listing.
@Suite("handle counts")
struct HandleCountTests {
  static let written = SyntheticProcess.examples()
  /// System's table: two entry pages under a level-1 page (`writeHandleTable`).
  static var systemTop: UInt64 { written[0].handlePages + 2 * 0x1000 }

  @Test("the walk counts open handles: two levels, one level, closed slots, an exited process")
  func walk() throws {
    let list = KernelProcessList.read(from: try KernelProcessListTests.dump(.full))
    #expect(list.processes.map(\.handleCount) == [267, 11, 36, 3, 0])
    #expect(list.processes.map(\.handleCount) == Self.written.map { UInt32($0.handleCount) })
    #expect(list.processes.allSatisfy { $0.handleCountProblem == nil })
    #expect(list.layout.origins[.handleTableCode] == "table: x64 10240–19045, high")
  }

  @Test("Windows 7's HANDLE_TABLE.HandleCount is read as it is, without a walk")
  func windows7Field() throws {
    let dump = try KernelProcessListTests.dump(.full) { kernel in
      for (index, process) in Self.written.enumerated() where process.objectTable != 0 {
        kernel.write32(virtual: process.objectTable + 0x58, UInt32(1000 + index))
      }
    }
    var layout = KernelProcessList.read(from: dump).layout
    layout.set(.handleTableHandleCount, 0x58, from: "test")
    #expect(!layout.missing.contains(.handleTableHandleCount))
    let list = KernelProcessList.read(from: dump, layout: layout)
    #expect(list.processes.map(\.handleCount) == [1000, 1001, 1002, 1003, 0])
  }

  @Test(
    "a damaged table gives no count, says why, and the other processes still count",
    arguments: [
      ("a page listed twice", "listed twice"),
      ("a limit past the cap", "more than the 4096 read"),
      ("an entry page not in the dump", "not present"),
      ("level 3", "names level 3"),
      ("a page pointer not page-aligned", "not page-aligned"),
      ("an alias of a page (bit 48 flipped)", "listed twice"),
      ("a NULL entry page below the limit", "NULL pointer"),
      ("a limit a level-0 table cannot hold", "more than a level-0 table holds"),
    ])
  func damaged(damage: String, reason: String) throws {
    let system = Self.written[0]
    let dump = try KernelProcessListTests.dump(.bitmap(type: 5, signature: "SDMP")) { kernel in
      switch damage {
      case "a page listed twice":
        kernel.write64(virtual: Self.systemTop + 8, system.handlePages)
      case "a limit past the cap":
        kernel.write32(virtual: system.objectTable, 0xFFFF_FFFC)
      case "an entry page not in the dump":
        kernel.write64(virtual: Self.systemTop + 8, 0xFFFF_9999_0000_0000)
      case "level 3":
        kernel.write64(virtual: system.objectTable + 8, Self.systemTop | 3)
      case "an alias of a page (bit 48 flipped)":
        // x64 translation ignores bits 48–63: the same physical page under another address.
        kernel.write64(virtual: Self.systemTop + 8, system.handlePages ^ (1 << 48))
      case "a NULL entry page below the limit":
        kernel.write64(virtual: Self.systemTop + 8, 0)
      case "a limit a level-0 table cannot hold":
        kernel.write64(virtual: system.objectTable + 8, system.handlePages)
      default:
        kernel.write64(virtual: Self.systemTop + 8, system.handlePages + 0x10)
      }
    }
    let list = KernelProcessList.read(from: dump)
    #expect(list.isComplete)
    #expect(list.processes[0].handleCount == nil)
    #expect(list.processes[0].handleCountProblem?.contains(reason) == true, "\(list.processes[0])")
    #expect(list.processes.dropFirst().map(\.handleCount) == [11, 36, 3, 0])
  }

  @Test("a level-2 table: a page of pointers to pages of pointers to entry pages")
  func levelTwo() throws {
    let system = Self.written[0]
    let top = system.handlePages + 0x10_000
    let middle = top + 0x1000
    let dump = try KernelProcessListTests.dump(.full) { kernel in
      // Reuse System's two entry pages (267 handles) under a two-level table.
      kernel.write(virtual: top, [UInt8](repeating: 0, count: 0x1000))
      kernel.write(virtual: middle, [UInt8](repeating: 0, count: 0x1000))
      kernel.write64(virtual: top, middle)
      kernel.write64(virtual: middle, system.handlePages)
      kernel.write64(virtual: middle + 8, system.handlePages + 0x1000)
      kernel.write64(virtual: system.objectTable + 8, top | 2)
    }
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes[0].handleCount == 267, "\(list.processes[0].handleCountProblem ?? "")")
  }

  @Test("processes sharing one table are counted once; the dump's page budget ends the walks")
  func budget() throws {
    let dump = try KernelProcessListTests.dump(.full) { kernel in
      // smss.exe's ObjectTable now names System's table.
      kernel.write64(
        virtual: Self.written[1].address + UInt64(ProcessLayout.x64Build19041.objectTable),
        Self.written[0].objectTable)
    }
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes[1].handleCount == 267)
    let paged = try #require(dump.paged)
    let tight = KernelHandleCount.Budget()
    tight.pagesLeft = 2
    let counted = KernelHandleCount.read(
      table: Self.written[0].objectTable, paged: paged, layout: list.layout, width: 8,
      budget: tight)
    #expect(counted.value == nil)
    #expect(counted.problem?.contains("need more than 65536 pages") == true, "\(counted)")
  }

  @Test("a handle table whose own memory is missing, and offsets nobody gave")
  func unknown() throws {
    let dump = try KernelProcessListTests.dump(.full) { kernel in
      kernel.write64(
        virtual: Self.written[1].address + UInt64(ProcessLayout.x64Build19041.objectTable),
        0xFFFF_9999_0000_0040)
    }
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes[1].handleCount == nil)
    #expect(list.processes[1].handleCountProblem?.contains("not present") == true)

    var layout = KernelTypeLayout()
    for (field, offset) in list.layout.offsets where field != .handleTableCode {
      layout.set(field, offset, from: "test")
    }
    // Either Windows 7's field or the walk's pair would do: both are named.
    #expect(layout.missing == [.handleTableHandleCount, .handleTableCode])
    let blind = KernelProcessList.read(from: dump, layout: layout)
    #expect(blind.processes[0].handleCount == nil)
    #expect(blind.processes[0].handleCountProblem?.contains("offsets unknown") == true)
    #expect(blind.processes[4].handleCount == 0)
  }
}
