import CPUContexts

/// A crash reason string and crash address, worded as breakpad's `GetCrashReason` words them for
/// Windows exceptions (google/breakpad `src/processor/minidump_processor.cc`;
/// reference/minidump.md §2.5). FAST_FAIL names are winnt.h's `FAST_FAIL_*` codes.
public struct CrashReason: Sendable, Equatable {
  public var reason: String
  /// `info[1]` for access violations and in-page errors, else the exception address; masked to
  /// 32 bits on 32-bit CPUs (`GetAddressForArchitecture`).
  public var address: UInt64

  init(exception: MinidumpException, architecture: ProcessorArchitecture?, windows: Bool = true) {
    let code = exception.code
    let info = exception.parameters
    var address = exception.address
    var reason = (windows ? Self.names[code] : nil) ?? String(format: "0x%08x", code)
    switch windows ? code : 0 {
    case 0xC000_0005, 0xC000_0006:
      // Access violation / in-page error: info[0] is the access kind, info[1] the address.
      if let kind = info.first {
        switch kind {
        case 0: reason += "_READ"
        case 1: reason += "_WRITE"
        case 8: reason += "_EXEC"
        default: break
        }
      }
      if info.count >= 2 { address = info[1] }
      if code == 0xC000_0006 && info.count >= 3 {
        reason += " / " + String(format: "0x%08x", UInt32(truncatingIfNeeded: info[2]))
      }
    case 0xC000_0409:
      // A __fastfail: info[0] is the FAST_FAIL code, which says more than "overrun".
      if let subcode = info.first, let name = Self.fastFail[subcode] {
        reason = name
      }
    default:
      break
    }
    if architecture?.is32Bit == true { address &= 0xFFFF_FFFF }
    self.reason = reason
    self.address = address
  }

  /// Windows exception codes and breakpad's words for them.
  static let names: [UInt32: String] = [
    0x4001_0005: "DBG_CONTROL_C", 0x8000_0001: "EXCEPTION_GUARD_PAGE",
    0x8000_0002: "EXCEPTION_DATATYPE_MISALIGNMENT", 0x8000_0003: "EXCEPTION_BREAKPOINT",
    0x8000_0004: "EXCEPTION_SINGLE_STEP", 0xC000_0005: "EXCEPTION_ACCESS_VIOLATION",
    0xC000_0006: "EXCEPTION_IN_PAGE_ERROR", 0xC000_0008: "EXCEPTION_INVALID_HANDLE",
    0xC000_001D: "EXCEPTION_ILLEGAL_INSTRUCTION",
    0xC000_0025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
    0xC000_0026: "EXCEPTION_INVALID_DISPOSITION", 0xC000_008C: "EXCEPTION_BOUNDS_EXCEEDED",
    0xC000_008D: "EXCEPTION_FLT_DENORMAL_OPERAND", 0xC000_008E: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
    0xC000_008F: "EXCEPTION_FLT_INEXACT_RESULT", 0xC000_0090: "EXCEPTION_FLT_INVALID_OPERATION",
    0xC000_0091: "EXCEPTION_FLT_OVERFLOW", 0xC000_0092: "EXCEPTION_FLT_STACK_CHECK",
    0xC000_0093: "EXCEPTION_FLT_UNDERFLOW", 0xC000_0094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
    0xC000_0095: "EXCEPTION_INT_OVERFLOW", 0xC000_0096: "EXCEPTION_PRIV_INSTRUCTION",
    0xC000_00FD: "EXCEPTION_STACK_OVERFLOW", 0xC000_00FF: "EXCEPTION_BAD_FUNCTION_TABLE",
    0xC000_0194: "EXCEPTION_POSSIBLE_DEADLOCK", 0xC000_0409: "EXCEPTION_STACK_BUFFER_OVERRUN",
    0xC000_0374: "EXCEPTION_HEAP_CORRUPTION", 0xE000_0008: "Out of Memory",
    0xE06D_7363: "Unhandled C++ Exception", 0x0517_A7ED: "Simulated Exception",
  ]

  /// The `FAST_FAIL_*` name of a `__fastfail` code without its prefix (`CORRUPT_LIST_ENTRY`),
  /// nil for a code winnt.h does not define. The same codes are bug check 0x139's first parameter.
  public static func fastFailName(_ code: UInt64) -> String? {
    fastFail[code].map { String($0.dropFirst("FAST_FAIL_".count)) }
  }

  /// winnt.h `FAST_FAIL_*`: the subcode in `info[0]` of STATUS_STACK_BUFFER_OVERRUN.
  static let fastFail: [UInt64: String] = {
    let names = [
      "LEGACY_GS_VIOLATION", "VTGUARD_CHECK_FAILURE", "STACK_COOKIE_CHECK_FAILURE",
      "CORRUPT_LIST_ENTRY", "INCORRECT_STACK", "INVALID_ARG", "GS_COOKIE_INIT", "FATAL_APP_EXIT",
      "RANGE_CHECK_FAILURE", "UNSAFE_REGISTRY_ACCESS", "GUARD_ICALL_CHECK_FAILURE",
      "GUARD_WRITE_CHECK_FAILURE", "INVALID_FIBER_SWITCH", "INVALID_SET_OF_CONTEXT",
      "INVALID_REFERENCE_COUNT", nil, nil, nil, "INVALID_JUMP_BUFFER", "MRDATA_MODIFIED",
      "CERTIFICATION_FAILURE", "INVALID_EXCEPTION_CHAIN", "CRYPTO_LIBRARY",
      "INVALID_CALL_IN_DLL_CALLOUT", "INVALID_IMAGE_BASE", "DLOAD_PROTECTION_FAILURE",
      "UNSAFE_EXTENSION_CALL", "DEPRECATED_SERVICE_INVOKED", "INVALID_BUFFER_ACCESS",
      "INVALID_BALANCED_TREE", "INVALID_NEXT_THREAD", "GUARD_ICALL_CHECK_SUPPRESSED",
      "APCS_DISABLED", "INVALID_IDLE_STATE", "MRDATA_PROTECTION_FAILURE",
      "UNEXPECTED_HEAP_EXCEPTION", "INVALID_LOCK_STATE", "GUARD_JUMPTABLE",
      "INVALID_LONGJUMP_TARGET", "INVALID_DISPATCH_CONTEXT", "INVALID_THREAD",
      "INVALID_SYSCALL_NUMBER", "INVALID_FILE_OPERATION", "LPAC_ACCESS_DENIED", "GUARD_SS_FAILURE",
      "LOADER_CONTINUITY_FAILURE", "GUARD_EXPORT_SUPPRESSION_FAILURE", "INVALID_CONTROL_STACK",
      "SET_CONTEXT_DENIED", "INVALID_IAT", "HEAP_METADATA_CORRUPTION",
      "PAYLOAD_RESTRICTION_VIOLATION", "LOW_LABEL_ACCESS_DENIED", "ENCLAVE_CALL_FAILURE",
      "UNHANDLED_LSS_EXCEPTON", "ADMINLESS_ACCESS_DENIED", "UNEXPECTED_CALL",
      "CONTROL_INVALID_RETURN_ADDRESS", "UNEXPECTED_HOST_BEHAVIOR", "FLAGS_CORRUPTION",
      "VEH_CORRUPTION", "ETW_CORRUPTION", "RIO_ABORT", "INVALID_PFN",
      "GUARD_ICALL_CHECK_FAILURE_XFG", "CAST_GUARD", "HOST_VISIBILITY_CHANGE",
      "KERNEL_CET_SHADOW_STACK_ASSIST", "PATCH_CALLBACK_FAILED", "NTDLL_PATCH_FAILED",
      "INVALID_FLS_DATA", "ASAN_ERROR", "CLR_EXCEPTION_AOT", "POINTER_AUTH_INVALID_RETURN_ADDRESS",
      "INVALID_THREAD_STATE", "CORRUPT_WOW64_STATE", "INVALID_EXTENDED_STATE",
      "KERNEL_POINTER_EXPECTED",
    ]
    var table: [UInt64: String] = [:]
    for (code, name) in names.enumerated() {
      if let name { table[UInt64(code)] = "FAST_FAIL_\(name)" }
    }
    return table
  }()
}
