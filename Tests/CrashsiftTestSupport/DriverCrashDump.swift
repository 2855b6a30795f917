import DumpSynth

/// A kernel triage dump whose bug check 0x7E faults in one driver at RVA 0x1040 — by default the
/// lld-built `tiny64.dll` of the corpus (TimeDateStamp 0x3FDF2AA8, SizeOfImage 0x5000, as its
/// store key says), inside the inlined `inlined_twice` of `exported_entry`. Its image and PDB can
/// be indexed into a store after the fact, which is what symbol-path tests need.
public enum DriverCrashDump {
  public static let base: UInt64 = 0xFFFF_F804_1234_0000

  /// `variant` goes into Arg4, so dumps of one driver can differ in content (and sha256).
  public static func write(
    to path: String, driver: String = "tiny64.dll", timeDateStamp: UInt32 = 0x3FDF_2AA8,
    variant: UInt64 = 0
  ) throws {
    var writer = TriageDumpWriter()
    writer.modules = [
      SyntheticKernel.Module(
        name: driver, path: "\\SystemRoot\\system32\\drivers\\\(driver)", base: base,
        size: 0x5000, checksum: 0, timeDateStamp: timeDateStamp)
    ]
    writer.header.bugCheckCode = 0x7E
    writer.header.bugCheckParameters = [0xFFFF_FFFF_C000_0005, base + 0x1040, 0, variant]
    writer.header.rip = base + 0x1040
    try writer.write(to: path)
  }
}
