/// One frame of a walked stack.
///
/// Address convention: `instruction` is the address the frame is executing — the context's IP for
/// frame 0 and for frames restored from a trap, else the return address. `lookupAddress` is what
/// symbols and unwind info are searched with: the same for frame 0 and trap frames, the return
/// address − 1 for callers (the call instruction, not whatever follows a noreturn call). breakpad
/// and rust-minidump both look up with return address − 1; offsets are printed from the return
/// address by breakpad and WinDbg, and from return address − 1 by rust-minidump.
public struct StackFrame: Sendable, Equatable {
  public var instruction: UInt64
  public var stackPointer: UInt64
  public var registers: RegisterSet
  public var trust: FrameTrust
  /// The index into the walk's `ModuleMap`, when the instruction is inside a module.
  public var module: Int?

  public var lookupAddress: UInt64 {
    trust == .context || trust == .trap ? instruction : instruction &- 1
  }
}
