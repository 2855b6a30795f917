/// What the forge laid out, written next to each dump as `<dump>.truth.json`: the frames a correct
/// unwinder recovers, innermost first, each with how it must be found.
public struct ForgeTruth: Codable, Sendable, Equatable {
  public struct Frame: Codable, Sendable, Equatable {
    public var module: String
    public var function: String
    /// Offset of `instruction` from the function start, hex.
    public var offset: String
    /// The frame's instruction (context IP, faulting IP, or return address), hex.
    public var instruction: String
    /// RSP within the frame once its prologue has run, hex.
    public var stackPointer: String
    /// `context` for frame 0, `trap` for the interrupted frame, `cfi` for callers.
    public var trust: String
    /// For the trap frame: the registers its KTRAP_FRAME holds (RAX, RCX, RDX, R8–R11, RBP), hex,
    /// which `.trap` shows.
    public var registers: [String: String]? = nil
  }

  public var scenario: String
  public var dumpType: String
  public var bugCheck: String
  public var parameters: [String]
  public var frames: [Frame]
  public var blame: String?
}
