import KernelDump
import Symbols

extension Bucketer {
  /// What a kernel dump says beyond its stack that kernel prefix rules may name as `{name}`
  /// (docs/bucketing.md, "Facts"). For 0xEF CRITICAL_PROCESS_DIED, the published form
  /// `0xEF_csrss.exe_BUGCHECK_CRITICAL_PROCESS_66897700_ntdll!NtTerminateProcess`:
  /// - `critical_process`: the image name of the process that died: Arg1's EPROCESS when
  ///   Arg2 = 0, the process of Arg1's ETHREAD (KTHREAD.ApcState.Process) when Arg2 = 1;
  /// - `exit_status`: what WinDbg prints as EXCEPTION_CODE and puts after
  ///   `BUGCHECK_CRITICAL_PROCESS_`: the low 32 bits of the second "Args to Child" slot of the
  ///   nt!NtTerminateProcess frame (`[Child-SP + 0x10]`, the home slot of its ExitStatus
  ///   argument), 8 hex digits — in both published records that show it, the number is that slot
  ///   (which the kernel need not have written), so it is read from there, x64 only;
  /// - `terminator`, `terminator_pid`: the process that ended it (Arg3, when it is a process other
  ///   than the one that died), its image name and id in hex.
  /// Names are ImageFileName (14 characters at most), reduced to `[A-Za-z0-9._-]`.
  public static func facts(
    of dump: KernelDump, frames: [Frame], layout: KernelTypeLayout? = nil
  ) -> [String: String] {
    let parameters = dump.header.bugCheckParameters
    guard dump.header.bugCheckCode == 0xEF, parameters.count >= 3 else { return [:] }
    let layout =
      layout
      ?? KernelTypeLayout.of(
        machine: dump.header.machineImageType, build: dump.header.minorVersion,
        debuggerData: dump.debuggerData)
    var facts: [String: String] = [:]
    var died: UInt64? = parameters[0]
    if parameters[1] == 1 {
      died = layout[.apcProcess].flatMap {
        try? dump.pointer(virtual: parameters[0] &+ UInt64($0))
      }
    }
    if let died, let name = imageName(of: died, in: dump, layout: layout) {
      facts["critical_process"] = name
    }
    let terminator = parameters[2]
    if terminator != 0, terminator != died,
      let name = imageName(of: terminator, in: dump, layout: layout),
      let offset = layout[.processID],
      let pid = try? dump.pointer(virtual: terminator &+ UInt64(offset))
    {
      facts["terminator"] = name
      facts["terminator_pid"] = String(pid, radix: 16)
    }
    if dump.header.machineImageType == 0x8664,
      let frame = frames.first(where: {
        $0.function == "NtTerminateProcess"
          && KernelTypesFromPDB.kernelNames.contains(($0.image ?? "").lowercased())
      }),
      let sp = frame.stackPointer,
      let slot = try? dump.pointer(virtual: sp &+ 0x10)
    {
      facts["exit_status"] = hex8(slot)
    }
    return facts
  }

  /// `facts(of:frames:layout:)` with the nt PDB's structure offsets when `symbols` finds the
  /// PDB; the PDB is opened only for the bug checks that have facts (0xEF).
  public static func facts(of dump: KernelDump, frames: [Frame], symbols: SymbolTableCache?)
    -> [String: String]
  {
    guard dump.header.bugCheckCode == 0xEF else { return [:] }
    return facts(
      of: dump, frames: frames, layout: KernelTypesFromPDB.layout(of: dump, symbols: symbols).0)
  }

  /// An EPROCESS's image name: its ImageFileName at the layout's offset, else the name the
  /// dump keeps for its current process when that is the one.
  static func imageName(of process: UInt64, in dump: KernelDump, layout: KernelTypeLayout)
    -> String?
  {
    if let name = dump.processImageName(process, layout: layout) { return bucketSafe(name) }
    if process == dump.currentProcess, let name = dump.processName { return bucketSafe(name) }
    return nil
  }

  /// A name from a dump as it may appear in a bucket id: letters, digits, `.`, `_`, `-`; any
  /// other character becomes `_`.
  static func bucketSafe(_ name: String) -> String {
    String(
      name.unicodeScalars.prefix(14).map { scalar -> Character in
        let ok =
          (scalar.value >= 0x30 && scalar.value <= 0x39)
          || (scalar.value >= 0x41 && scalar.value <= 0x5A)
          || (scalar.value >= 0x61 && scalar.value <= 0x7A) || scalar == "." || scalar == "_"
          || scalar == "-"
        return ok ? Character(scalar) : "_"
      })
  }

  /// The low 32 bits as 8 lower-case hex digits.
  static func hex8(_ value: UInt64) -> String {
    let text = String(value & 0xFFFF_FFFF, radix: 16)
    return String(repeating: "0", count: 8 - text.count) + text
  }
}
