import Foundation

extension BucketRules {
  /// The rules crashsift uses when none are configured: the same text as the shipped
  /// `pipelines/rules/bucketing.json` (a test keeps the two equal), so `analyze` and `explain`
  /// give the pipeline's buckets even outside the repository.
  public static let defaultText = #"""
    {
      "version": 1,
      "description": "Bucketing rules: which frames are never blamed, module aliases, and FAILURE_BUCKET_ID prefixes (docs/bucketing.md).",
      "module_aliases": {
        "ntoskrnl.exe": "nt",
        "ntkrnlmp.exe": "nt",
        "ntkrnlpa.exe": "nt",
        "ntkrpamp.exe": "nt"
      },
      "followup_skip": [
        {"pattern": "nt!KeBugCheck*", "why": "bug check plumbing"},
        {"pattern": "nt!KiBugCheck*", "why": "bug check plumbing"},
        {"pattern": "nt!KiPageFault", "why": "trap handler: the faulting frame is below it"},
        {"pattern": "nt!KiGeneralProtectionFault", "why": "trap handler"},
        {"pattern": "nt!KiExceptionDispatch", "why": "exception dispatch"},
        {"pattern": "nt!KiDispatchException", "why": "exception dispatch"},
        {"pattern": "nt!KiSystemServiceHandler", "why": "exception dispatch"},
        {"pattern": "nt!RtlDispatchException", "why": "exception dispatch"},
        {"pattern": "nt!RtlpExecuteHandlerForException", "why": "exception dispatch"},
        {"pattern": "nt!__C_specific_handler", "why": "exception dispatch"},
        {"pattern": "nt!MmAccessFault", "why": "page fault handling: the faulting frame is below it"},
        {"pattern": "nt!ExpWorkerThread", "why": "thread plumbing"},
        {"pattern": "nt!PspSystemThreadStartup", "why": "thread plumbing"},
        {"pattern": "nt!KiStartSystemThread", "why": "thread plumbing"},
        {"pattern": "hal!*", "why": "hardware abstraction layer: blame its caller"},
        {"pattern": "ntdll.dll!KiUserExceptionDispatcher", "why": "exception dispatch"},
        {"pattern": "ntdll.dll!RtlDispatchException", "why": "exception dispatch"},
        {"pattern": "ntdll.dll!RtlRaiseException", "why": "exception raising"},
        {"pattern": "kernelbase.dll!RaiseException", "why": "exception raising"},
        {"pattern": "kernelbase.dll!RaiseFailFastException", "why": "fail-fast raising"},
        {"pattern": "ucrtbase.dll!abort", "why": "C runtime abort"},
        {"pattern": "ucrtbase.dll!_invoke_watson", "why": "C runtime invalid-parameter handler"}
      ],
      "kernel_prefixes": [
        {"bugcheck": "0xD1", "prefix": "AV"},
        {"bugcheck": "0xA", "prefix": "AV"},
        {"bugcheck": "0x50", "prefix": "AV"},
        {"bugcheck": "0x7E", "parameter1": "0xC0000005", "prefix": "AV"},
        {"bugcheck": "0x1000007E", "parameter1": "0xC0000005", "prefix": "AV"},
        {"bugcheck": "0x8E", "parameter1": "0xC0000005", "prefix": "AV"},
        {"bugcheck": "0x1000008E", "parameter1": "0xC0000005", "prefix": "AV"},
        {"bugcheck": "0x3B", "parameter1": "0xC0000005", "prefix": "AV"},
        {"bugcheck": "0x7E", "prefix": "0x7E_{p1}"},
        {"bugcheck": "0x1000007E", "prefix": "0x7E_{p1}"},
        {"bugcheck": "0x3B", "prefix": "0x3B_{p1}"},
        {"bugcheck": "0x19", "prefix": "0x19_{p1}"},
        {"bugcheck": "0x139", "prefix": "0x139_{p1}"},
        {"bugcheck": "0x133", "prefix": "0x133_{p1}"},
        {"bugcheck": "0xC4", "prefix": "0xC4_{p1}"}
      ],
      "user_prefixes": [
        {"exception": "0xC0000374", "prefix": "HEAP_CORRUPTION_c0000374"},
        {"exception": "0xC00000FD", "prefix": "STACK_OVERFLOW_c00000fd"},
        {"exception": "0xC0000409", "prefix": "FAIL_FAST_c0000409"},
        {"exception": "0x80000003", "prefix": "BREAKPOINT_80000003"},
        {"exception": "0xC000001D", "prefix": "ILLEGAL_INSTRUCTION_c000001d"},
        {"exception": "0xC0000094", "prefix": "INTEGER_DIVIDE_BY_ZERO_c0000094"}
      ]
    }
    """#

  /// `defaultText` parsed.
  public static var defaults: BucketRules {
    // The text is a constant checked by the tests; a parse failure is a build defect.
    (try? BucketRules(data: Data(defaultText.utf8), name: "built-in rules"))
      ?? BucketRules(empty: ())
  }

  /// No rules at all (only reachable if the built-in text were broken).
  init(empty: Void) {
    aliases = [:]
    skips = []
    kernelPrefixes = []
    userPrefixes = [:]
    version = "none"
  }
}
