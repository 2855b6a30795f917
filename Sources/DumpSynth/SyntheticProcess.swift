/// A process to place in a synthetic kernel's memory (`SyntheticKernel.writeProcesses`), with its
/// threads: the fields WinDbg's `!process` shows, at the offsets of `ProcessLayout`.
public struct SyntheticProcess: Sendable {
  public struct Thread: Sendable {
    /// Where the ETHREAD goes.
    public var address: UInt64
    public var threadID: UInt64
    public var teb: UInt64 = 0
    public var state: UInt8 = 5
    public var waitReason: UInt8 = 0
    public var waitMode: UInt8 = 0
    public var priority: UInt8 = 8
    public var kernelTime: UInt32 = 0
    public var userTime: UInt32 = 0
    public var win32StartAddress: UInt64 = 0
    public var initialStack: UInt64 = 0
    public var stackLimit: UInt64 = 0
    public var stackBase: UInt64 = 0
    public var kernelStack: UInt64 = 0
    /// The switch frame at `kernelStack` of a thread that is not running: where it resumes
    /// (inside nt!KiSwapContext) and its saved frame pointer. Written when `returnAddress` ≠ 0.
    public var returnAddress: UInt64 = 0
    public var savedFramePointer: UInt64 = 0

    public init(address: UInt64, threadID: UInt64) {
      self.address = address
      self.threadID = threadID
    }
  }

  /// An open handle: the object's body (an EPROCESS or ETHREAD here), its type's index in
  /// nt!ObTypeIndexTable, and the access granted.
  public struct Handle: Sendable {
    public var object: UInt64
    public var typeIndex: UInt8
    public var access: UInt32

    public init(object: UInt64, typeIndex: UInt8, access: UInt32) {
      self.object = object
      self.typeIndex = typeIndex
      self.access = access
    }

    /// The type indices of Process and Thread objects on Windows 10 (nt!ObTypeIndexTable).
    public static let processType: UInt8 = 7
    public static let threadType: UInt8 = 8
  }

  /// Where the EPROCESS goes.
  public var address: UInt64
  public var processID: UInt64
  public var parentProcessID: UInt64
  public var name: String
  public var peb: UInt64 = 0
  public var directoryTableBase: UInt64 = 0
  public var objectTable: UInt64 = 0
  /// The session (nil: none, as System and smss.exe): its id, and where its session space goes.
  public var sessionID: UInt32?
  public var createTime: UInt64 = 0
  public var threads: [Thread] = []
  /// The handle table's slots in handle order (values 4, 8, …, skipping the reserved first entry
  /// of every page); nil is a closed handle's free slot. Written at `objectTable` when it is not 0.
  public var handles: [Handle?] = []
  /// Where the handle table's pages go (entry pages, then the page of pointers to them when
  /// there is more than one).
  public var handlePages: UInt64 = 0

  /// The open handles: what WinDbg's HandleCount counts.
  public var handleCount: Int { handles.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

  public init(address: UInt64, processID: UInt64, parentProcessID: UInt64, name: String) {
    self.address = address
    self.processID = processID
    self.parentProcessID = parentProcessID
    self.name = name
  }

  /// Five processes, System first, with 0–3 threads each in several states (waiting in
  /// WrQueue, running), kernel and user wait modes, and an image name longer than
  /// ImageFileName's 15 bytes: what tests and the forge place in memory dumps. Their handles
  /// (to each other and to their threads, some closed) fill a two-page table for System, one
  /// page for the others, and none for the last, which has exited (ObjectTable NULL).
  public static func examples() -> [SyntheticProcess] {
    let names = ["System", "smss.exe", "csrss.exe", "a-very-long-image-name.exe", "idle-proc"]
    var processes = names.enumerated().map { index, name in
      let base = 0xFFFF_C08B_DC00_0000 + UInt64(index) * 0x10_0000
      var process = SyntheticProcess(
        address: base + 0x80, processID: index == 0 ? 4 : UInt64(0x100 + index * 4),
        parentProcessID: index == 0 ? 0 : 4, name: name)
      process.peb = index == 0 ? 0 : 0x0000_009D_5E3C_7000 + UInt64(index) * 0x1000
      process.directoryTableBase = 0x1AD000 + UInt64(index) * 0x1000
      process.objectTable = 0xFFFF_A08C_5D04_AE40 + UInt64(index) * 0x100
      // System and smss.exe are outside every session; csrss.exe in session 0, the rest in 1.
      process.sessionID = index < 2 ? nil : (index == 2 ? 0 : 1)
      process.createTime = 0x01D7_07F2_0000_0000 + UInt64(index)
      process.threads = (0..<(index % 4)).map { number in
        var thread = SyntheticProcess.Thread(
          address: base + 0x4000 + UInt64(number) * 0x1000,
          threadID: UInt64(0x200 + index * 0x10 + number * 4))
        thread.teb = index == 0 ? 0 : 0x0000_009D_5E3D_0000 + UInt64(number) * 0x2000
        thread.state = number == 0 ? 5 : 2
        thread.waitReason = UInt8(number == 0 ? 15 : 0)
        thread.waitMode = UInt8(number % 2)
        thread.priority = UInt8(8 + number)
        thread.kernelTime = UInt32(100 + number)
        thread.userTime = UInt32(number)
        thread.win32StartAddress = 0xFFFF_F804_7C40_0000 + UInt64(number) * 0x10
        thread.initialStack = 0xFFFF_8504_2989_3000 + UInt64(number) * 0x10000
        thread.stackLimit = thread.initialStack - 0x6000
        thread.stackBase = thread.initialStack + 0x1000 - 0x1000
        thread.kernelStack = thread.initialStack - 0x400
        // Waiting threads resume in the kernel image (as at nt!KiSwapContext+0x76).
        if thread.state != 2 {
          thread.returnAddress = 0xFFFF_F804_7BA0_0000 + 0x41_7A26
          thread.savedFramePointer = thread.kernelStack + 0x180
        }
        return thread
      }
      return process
    }
    let objects =
      processes.map { Handle(object: $0.address, typeIndex: Handle.processType, access: 0x1F_FFFF) }
      + processes.flatMap(\.threads).map {
        Handle(object: $0.address, typeIndex: Handle.threadType, access: 0x1F_03FF)
      }
    let slots = [300, 12, 40, 3, 0]
    for index in processes.indices {
      processes[index].handlePages = 0xFFFF_A08C_6000_0000 + UInt64(index) * 0x10_0000
      processes[index].handles = (0..<slots[index]).map { slot in
        slot % 9 == 4 ? nil : objects[(index * 7 + slot) % objects.count]
      }
      if slots[index] == 0 { processes[index].objectTable = 0 }
    }
    return processes
  }
}
