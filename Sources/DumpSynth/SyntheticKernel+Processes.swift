extension SyntheticKernel {
  /// Writes `processes` as the kernel keeps them: a circular list from `head` (the address
  /// PsActiveProcessHead names) through each EPROCESS.ActiveProcessLinks, and in each process
  /// both thread lists through its ETHREADs, with the fields of `layout`; and each process's
  /// handle table (`writeHandleTable`, type indices encoded with `headerCookie`).
  public func writeProcesses(
    head: UInt64, _ processes: [SyntheticProcess], layout: ProcessLayout, headerCookie: UInt8 = 0
  ) {
    let width = UInt64(paging.pointerSize)
    // Every structure's memory exists whole, as in a real dump.
    for process in processes {
      write(virtual: process.address, [UInt8](repeating: 0, count: layout.eprocessSize))
      for thread in process.threads {
        write(virtual: thread.address, [UInt8](repeating: 0, count: layout.ethreadSize))
      }
    }
    let links = processes.map { $0.address + UInt64(layout.activeProcessLinks) }
    writeCircularList(head: head, entries: links)
    for process in processes {
      let base = process.address
      writePointer(virtual: base + UInt64(layout.processID), process.processID)
      writePointer(virtual: base + UInt64(layout.parentProcessID), process.parentProcessID)
      write(virtual: base + UInt64(layout.imageFileName), Array(process.name.utf8.prefix(14)) + [0])
      writePointer(virtual: base + UInt64(layout.peb), process.peb)
      writePointer(virtual: base + UInt64(layout.directoryTableBase), process.directoryTableBase)
      writePointer(virtual: base + UInt64(layout.objectTable), process.objectTable)
      if let id = process.sessionID {
        // One session space per session id (MM_SESSION_SPACE: SessionId at +0x8).
        let space = sessionSpace(id)
        write(virtual: space, [UInt8](repeating: 0, count: 0x10))
        write32(virtual: space + 8, id)
        writePointer(virtual: base + UInt64(layout.session), space)
      }
      write64(virtual: base + UInt64(layout.createTime), process.createTime)
      writeHandleTable(process, layout: layout, cookie: headerCookie)
      writeCircularList(
        head: base + UInt64(layout.threadListHead),
        entries: process.threads.map { $0.address + UInt64(layout.threadListEntry) })
      writeCircularList(
        head: base + UInt64(layout.executiveThreadListHead),
        entries: process.threads.map { $0.address + UInt64(layout.executiveThreadListEntry) })
      for thread in process.threads {
        let at = thread.address
        writePointer(virtual: at + UInt64(layout.clientID), process.processID)
        writePointer(virtual: at + UInt64(layout.clientID) + width, thread.threadID)
        writePointer(virtual: at + UInt64(layout.teb), thread.teb)
        write(virtual: at + UInt64(layout.state), [thread.state])
        write(virtual: at + UInt64(layout.waitReason), [thread.waitReason])
        write(virtual: at + UInt64(layout.waitMode), [thread.waitMode])
        write(virtual: at + UInt64(layout.priority), [thread.priority])
        write32(virtual: at + UInt64(layout.kernelTime), thread.kernelTime)
        write32(virtual: at + UInt64(layout.userTime), thread.userTime)
        writePointer(virtual: at + UInt64(layout.win32StartAddress), thread.win32StartAddress)
        writePointer(virtual: at + UInt64(layout.initialStack), thread.initialStack)
        writePointer(virtual: at + UInt64(layout.stackLimit), thread.stackLimit)
        writePointer(virtual: at + UInt64(layout.stackBase), thread.stackBase)
        writePointer(virtual: at + UInt64(layout.kernelStack), thread.kernelStack)
        writePointer(virtual: at + UInt64(layout.apcProcess), process.address)
        if thread.returnAddress != 0, let frame = layout.switchFrame {
          // ARM64: the KSWITCH_FRAME inside KTHREAD, Fp at +0x10 and Return at +0x18 (ksarm64.h).
          writePointer(virtual: at + UInt64(frame) + 0x10, thread.savedFramePointer)
          writePointer(virtual: at + UInt64(frame) + 0x18, thread.returnAddress)
        } else if thread.returnAddress != 0 {
          // x64 KSWITCH_FRAME (0x40 bytes): Rbp at +0x30, Return at +0x38; x86: Return at +0x8,
          // the saved Ebp at +0xC (docs/kernel-offsets/switch-frames.md).
          let (framePointer, returnAddress): (UInt64, UInt64) =
            width == 8 ? (0x30, 0x38) : (0xC, 0x8)
          writePointer(virtual: thread.kernelStack + framePointer, thread.savedFramePointer)
          writePointer(virtual: thread.kernelStack + returnAddress, thread.returnAddress)
        }
      }
    }
  }

  /// A LIST_ENTRY ring: `head` and each of `entries` with Flink (+0) and Blink (+pointer size).
  public func writeCircularList(head: UInt64, entries: [UInt64]) {
    let width = UInt64(paging.pointerSize)
    writePointer(virtual: head, entries.first ?? head)
    writePointer(virtual: head + width, entries.last ?? head)
    for (index, entry) in entries.enumerated() {
      writePointer(virtual: entry, index + 1 < entries.count ? entries[index + 1] : head)
      writePointer(virtual: entry + width, index > 0 ? entries[index - 1] : head)
    }
  }

  /// An x64 CONTEXT (0x4D0 bytes) at `va` with the control and integer registers valid
  /// (ContextFlags 0x10001F at +0x30) and RSP (+0x98), RBP (+0xA0), RIP (+0xF8) set.
  public func writeContextAMD64(virtual va: UInt64, rip: UInt64, rsp: UInt64, rbp: UInt64) {
    write(virtual: va, [UInt8](repeating: 0, count: 0x4D0))
    write32(virtual: va + 0x30, 0x10_001F)
    write64(virtual: va + 0x98, rsp)
    write64(virtual: va + 0xA0, rbp)
    write64(virtual: va + 0xF8, rip)
  }

  /// Where session `id`'s session space lies in this synthetic kernel (64- or 32-bit).
  public func sessionSpace(_ id: UInt32) -> UInt64 {
    (paging.pointerSize == 8 ? 0xFFFF_B001_2000_0000 : 0x8F40_0000) + UInt64(id) * 0x1000
  }
}
