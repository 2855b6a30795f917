/// A crash to forge, as a JSON file (docs/forge.md): which images are loaded where, the call chain
/// of the crashing thread from its outermost frame to the innermost, the bug check, and the dump
/// kinds to write.
public struct ForgeScenario: Codable, Sendable, Equatable {
  public struct Module: Codable, Sendable, Equatable {
    /// The name in the loaded-module list, e.g. `ntoskrnl.exe` (whatever the file is called).
    public var name: String
    /// The image file, relative to the images folder, e.g. `ntkrnlmp/ntkrnlmp.exe`; its PDB is
    /// next to it.
    public var image: String
    /// Load address, hex.
    public var base: String
  }

  public var name: String
  public var description: String?
  public var modules: [Module]
  /// `module!function` or `module!function+0xoff`, outermost first. Each frame calls the next
  /// (the call instruction to it is found in the code); a frame followed by a function whose
  /// unwind info starts with a machine frame (KiPageFault) is interrupted there instead, at its
  /// `+0xoff`, the faulting instruction.
  public var stack: [String]
  /// Bug check code, hex (for a `minidump`: the exception code).
  public var bugCheck: String
  /// Four parameters, hex; `fault` stands for the faulting instruction's address, `trap` for the
  /// KTRAP_FRAME below the fault's machine frame, `context@module!function+0xOFF` and
  /// `exception@module!function+0xOFF` for the fault's CONTEXT record and an EXCEPTION_RECORD,
  /// which the forge writes at that offset from the named frame's stack pointer (for a
  /// `minidump`: the exception parameters).
  public var parameters: [String]
  /// Any of `triage`, `full`, `bitmap` (type 5), `bitmap6`, `rdmp8`, `rdmp9`, `rdmp10`; or
  /// `minidump` alone, for a user-mode crash on a user stack.
  public var dumps: [String]
  /// The frame a correct analysis blames (`module!function`), checked by the bucketing tests.
  public var blame: String?
  /// The FAILURE_BUCKET_ID a correct analysis gives, when it is not `AV_<module>!<function>`.
  public var bucket: String?
  /// Seeds the register values, so forged dumps are reproducible.
  public var seed: UInt64?
  /// `forge --scale`: the product builds this crash occurs in (default: every build).
  public var builds: [String]?
  /// Modules whose PDB the forge leaves out of the store (a driver shipped without symbols).
  public var unsymbolized: [String]?
}
