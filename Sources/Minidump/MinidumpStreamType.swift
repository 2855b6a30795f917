/// A stream type of the minidump directory (`MINIDUMP_STREAM_TYPE` and vendor extensions).
///
/// Values: Microsoft `minidumpapiset.h`; Breakpad `0x4767xxxx` and Crashpad `0x43500001` from
/// breakpad `minidump_format.h` / rust-minidump `format.rs` (reference/minidump.md §2.2).
public struct MinidumpStreamType: RawRepresentable, Hashable, Sendable, Comparable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let unused = Self(rawValue: 0)
  public static let threadList = Self(rawValue: 3)
  public static let moduleList = Self(rawValue: 4)
  public static let memoryList = Self(rawValue: 5)
  public static let exception = Self(rawValue: 6)
  public static let systemInfo = Self(rawValue: 7)
  public static let threadExList = Self(rawValue: 8)
  public static let memory64List = Self(rawValue: 9)
  public static let commentA = Self(rawValue: 10)
  public static let commentW = Self(rawValue: 11)
  public static let handleData = Self(rawValue: 12)
  public static let functionTable = Self(rawValue: 13)
  public static let unloadedModuleList = Self(rawValue: 14)
  public static let miscInfo = Self(rawValue: 15)
  public static let memoryInfoList = Self(rawValue: 16)
  public static let threadInfoList = Self(rawValue: 17)
  public static let handleOperationList = Self(rawValue: 18)
  public static let token = Self(rawValue: 19)
  public static let systemMemoryInfo = Self(rawValue: 21)
  public static let processVMCounters = Self(rawValue: 22)
  public static let threadNames = Self(rawValue: 24)
  public static let breakpadInfo = Self(rawValue: 0x4767_0001)
  public static let assertionInfo = Self(rawValue: 0x4767_0002)
  public static let crashpadInfo = Self(rawValue: 0x4350_0001)

  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

  private static let names: [UInt32: (String, String)] = [
    0: ("Unused", "MD_UNUSED_STREAM"), 1: ("Reserved0", "MD_RESERVED_STREAM_0"),
    2: ("Reserved1", "MD_RESERVED_STREAM_1"), 3: ("ThreadList", "MD_THREAD_LIST_STREAM"),
    4: ("ModuleList", "MD_MODULE_LIST_STREAM"), 5: ("MemoryList", "MD_MEMORY_LIST_STREAM"),
    6: ("Exception", "MD_EXCEPTION_STREAM"), 7: ("SystemInfo", "MD_SYSTEM_INFO_STREAM"),
    8: ("ThreadExList", "MD_THREAD_EX_LIST_STREAM"),
    9: ("Memory64List", "MD_MEMORY_64_LIST_STREAM"),
    10: ("CommentA", "MD_COMMENT_STREAM_A"), 11: ("CommentW", "MD_COMMENT_STREAM_W"),
    12: ("HandleData", "MD_HANDLE_DATA_STREAM"), 13: ("FunctionTable", "MD_FUNCTION_TABLE_STREAM"),
    14: ("UnloadedModuleList", "MD_UNLOADED_MODULE_LIST_STREAM"),
    15: ("MiscInfo", "MD_MISC_INFO_STREAM"), 16: ("MemoryInfoList", "MD_MEMORY_INFO_LIST_STREAM"),
    17: ("ThreadInfoList", "MD_THREAD_INFO_LIST_STREAM"),
    18: ("HandleOperationList", "MD_HANDLE_OPERATION_LIST_STREAM"),
    19: ("Token", "MD_TOKEN_STREAM"),
    20: ("JavaScriptData", "MD_JAVASCRIPT_DATA_STREAM"),
    21: ("SystemMemoryInfo", "MD_SYSTEM_MEMORY_INFO_STREAM"),
    22: ("ProcessVmCounters", "MD_PROCESS_VM_COUNTERS_STREAM"),
    23: ("IptTrace", "MD_IPT_TRACE_STREAM"), 24: ("ThreadNames", "MD_THREAD_NAME_LIST_STREAM"),
    0x4767_0001: ("BreakpadInfo", "MD_BREAKPAD_INFO_STREAM"),
    0x4767_0002: ("AssertionInfo", "MD_ASSERTION_INFO_STREAM"),
    0x4767_0003: ("LinuxCpuInfo", "MD_LINUX_CPU_INFO"),
    0x4767_0004: ("LinuxProcStatus", "MD_LINUX_PROC_STATUS"),
    0x4767_0005: ("LinuxLsbRelease", "MD_LINUX_LSB_RELEASE"),
    0x4767_0006: ("LinuxCmdLine", "MD_LINUX_CMD_LINE"),
    0x4767_0007: ("LinuxEnviron", "MD_LINUX_ENVIRON"), 0x4767_0008: ("LinuxAuxv", "MD_LINUX_AUXV"),
    0x4767_0009: ("LinuxMaps", "MD_LINUX_MAPS"),
    0x4767_000A: ("LinuxDsoDebug", "MD_LINUX_DSO_DEBUG"),
    0x4350_0001: ("CrashpadInfo", "MD_CRASHPAD_INFO_STREAM"),
  ]

  /// Short name (`ModuleList`), or `0x…` for types this reader does not know.
  public var name: String {
    Self.names[rawValue]?.0 ?? "0x\(String(rawValue, radix: 16))"
  }

  /// Breakpad's constant name (`MD_MODULE_LIST_STREAM`), as `minidump_dump` prints it.
  public var breakpadName: String { Self.names[rawValue]?.1 ?? "unknown" }

  /// Types above 0xffff are user streams (Microsoft: `LastReservedStream`).
  public var isUserStream: Bool { rawValue > 0xFFFF }
}
