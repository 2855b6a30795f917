import ByteReader
import CPUContexts
import KernelDump
import Minidump
import PEImage
import Symbols
import Unwind

/// The walked and symbolized stack of one thread: what `kv` shows, with how each frame was found.
public struct ThreadStack: Sendable, Codable, Equatable {
  public struct Frame: Sendable, Codable, Equatable {
    public var index: Int
    /// The frame's instruction: the context IP for frame 0 and trap frames, else the return
    /// address into it (offsets are printed from it, as WinDbg and breakpad do).
    public var instruction: UInt64
    public var stackPointer: UInt64
    /// The return address this frame will return to (the next frame's instruction): `kv`'s RetAddr.
    public var returnAddress: UInt64?
    public var trust: FrameTrust
    public var location: CrashLocation
    /// The full register set, for the context frame and frames restored from a trap frame or
    /// machine frame (what WinDbg's `.trap` shows); other frames carry only what was unwound.
    public var registers: [String: UInt64]?

    enum CodingKeys: String, CodingKey {
      case index, instruction, stackPointer, returnAddress, trust, location, registers
    }

    // Addresses are hex strings in JSON: kernel addresses exceed 2^53, which JSON numbers
    // lose in most readers (jq, JavaScript).
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(index, forKey: .index)
      try container.encode(Self.hex(instruction), forKey: .instruction)
      try container.encode(Self.hex(stackPointer), forKey: .stackPointer)
      try container.encodeIfPresent(returnAddress.map(Self.hex), forKey: .returnAddress)
      try container.encode(trust, forKey: .trust)
      try container.encode(location, forKey: .location)
      try container.encodeIfPresent(registers?.mapValues(Self.hex), forKey: .registers)
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      func address(_ text: String) throws -> UInt64 {
        guard text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) else {
          throw DecodingError.dataCorruptedError(
            forKey: .instruction, in: container, debugDescription: "not a hex address: \(text)")
        }
        return value
      }
      index = try container.decode(Int.self, forKey: .index)
      instruction = try address(container.decode(String.self, forKey: .instruction))
      stackPointer = try address(container.decode(String.self, forKey: .stackPointer))
      returnAddress = try container.decodeIfPresent(String.self, forKey: .returnAddress).map(
        address)
      trust = try container.decode(FrameTrust.self, forKey: .trust)
      location = try container.decode(CrashLocation.self, forKey: .location)
      registers = try container.decodeIfPresent([String: String].self, forKey: .registers)?
        .mapValues(address)
    }

    init(
      index: Int, instruction: UInt64, stackPointer: UInt64, returnAddress: UInt64?,
      trust: FrameTrust, location: CrashLocation, registers: [String: UInt64]?
    ) {
      self.index = index
      self.instruction = instruction
      self.stackPointer = stackPointer
      self.returnAddress = returnAddress
      self.trust = trust
      self.location = location
      self.registers = registers
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
  }

  public var threadID: UInt32?
  /// Kernel stacks name modules WinDbg's way (`nt`, `amdppm`); user stacks by file name.
  public var isKernel = false
  /// 64-bit addresses (x64, ARM64), for display.
  public var is64Bit = true
  public var frames: [Frame]
  /// Why the walk ended.
  public var stopReason: String
  /// Cut by a bound or bad data rather than reaching the end of the stack.
  public var truncated: Bool
  /// Modules on the stack whose symbols were wanted but not found, with the reason.
  public var missingSymbols: [String: String]
  /// The trap frame or context record the walk started from (kernel dumps; WinDbg's
  /// `.trap`/`.cxr`): the one the bug check named, or the trap frame found on the stack that
  /// restores its faulting address when the walk could not reach it; nil when it started from
  /// the dump's context.
  public var faultContext: Bucketer.FaultContext?

  /// Whether any frame waits for symbols a later run may find.
  public var awaitsSymbols: Bool { frames.contains { $0.location.awaitsSymbols } }

  /// The frames of a walk, named through each module's symbols.
  init(
    walk: StackWalk, modules: ModuleMap, threadID: UInt32?, x64: Bool,
    locate: (StackFrame, UnwindModule?) -> CrashLocation
  ) {
    var frames: [Frame] = []
    var missing: [String: String] = [:]
    for (index, frame) in walk.frames.enumerated() {
      let module = frame.module.map { modules.modules[$0] }
      var location: CrashLocation
      if let module, module.isUnloaded {
        // WinDbg's form for a frame in a module that is no longer loaded.
        location = CrashLocation(
          module: "<Unloaded_\(module.name)>", moduleOffset: frame.instruction &- module.base)
      } else {
        location = locate(frame, module)
      }
      if let name = location.module, let reason = location.missingSymbols {
        missing[name] = reason
      }
      frames.append(
        Frame(
          index: index, instruction: frame.instruction, stackPointer: frame.stackPointer,
          returnAddress: index + 1 < walk.frames.count ? walk.frames[index + 1].instruction : nil,
          trust: frame.trust, location: location,
          registers: frame.trust == .context || frame.trust == .trap
            ? Self.named(frame.registers, x64: x64) : nil))
    }
    self.threadID = threadID
    self.frames = frames
    self.stopReason = walk.stopReason
    self.truncated = walk.truncated
    self.missingSymbols = missing
    self.is64Bit = x64
  }

  static func named(_ registers: RegisterSet, x64: Bool) -> [String: UInt64] {
    // ARM64 contexts fill the x-register slots; their SP and PC slots are named as such.
    let arm64 = registers.knownRegisters.contains { $0.0 >= RegisterSet.arm64X }
    var named: [String: UInt64] = [:]
    for (register, value) in registers.knownRegisters {
      let name: String
      if arm64, register == RegisterSet.sp {
        name = "sp"
      } else if arm64, register == RegisterSet.ip {
        name = "pc"
      } else {
        name = RegisterSet.name(register, x64: x64)
      }
      named[name] = value
    }
    return named
  }

  /// The crashing thread of a minidump (the exception's thread and context), walked with the
  /// images and symbols `symbols` finds; nil without an exception or context.
  public static func crashingThread(of dump: Minidump, symbols: SymbolTableCache?) -> ThreadStack? {
    guard let exception = try? dump.exception(), let context = exception.context else { return nil }
    let thread = (try? dump.threads())??.first { $0.threadID == exception.threadID }
    return walk(
      dump, context: context, thread: thread, threadID: exception.threadID, symbols: symbols)
  }

  /// Walks one minidump thread from `context`.
  public static func walk(
    _ dump: Minidump, context: CPUContext, thread: MinidumpThread?, threadID: UInt32?,
    symbols: SymbolTableCache?
  ) -> ThreadStack {
    let dumpModules = ((try? dump.modules()) ?? nil) ?? []
    let unloaded = ((try? dump.unloadedModules()) ?? nil) ?? []
    var list = dumpModules.map {
      UnwindModule(name: $0.baseName, base: $0.baseOfImage, size: UInt64($0.sizeOfImage))
    }
    list += unloaded.map {
      UnwindModule(
        name: BreakpadSymbolWriter.baseName($0.name), base: $0.baseOfImage,
        size: UInt64($0.sizeOfImage), isUnloaded: true)
    }
    let modules = ModuleMap(list) { wanted in
      guard let module = dumpModules.first(where: { $0.baseOfImage == wanted.base }),
        let symbols
      else { return .none }
      // Built once per module identity and shared by every dump of the run: parsing STACK
      // records and sorting .pdata is the costly part of a walk.
      let key =
        "unwind/\(module.baseName.lowercased())/\(module.timeDateStamp)/\(module.sizeOfImage)/"
        + "\(module.debugFile ?? "")/\(module.codeView?.debugIdentifier ?? "")"
      return symbols.shared(key) {
        var table: SymbolTable?
        if let debugFile = module.debugFile, let id = module.codeView?.debugIdentifier {
          table = try? symbols.table(debugFile: debugFile, debugID: id).get()
        }
        let image = symbols.image(
          name: module.baseName, timeDateStamp: module.timeDateStamp,
          sizeOfImage: module.sizeOfImage)
        return ModuleCode(image: image, symbols: table)
      }
    }
    let memory: MinidumpMemoryList? = try? dump.memory()
    guard let memory else {
      return ThreadStack(
        walk: StackWalk(frames: [], stopReason: "the dump has no memory list", truncated: true),
        modules: modules, threadID: threadID, x64: true, locate: { _, _ in CrashLocation() })
    }
    let range = thread.map { $0.stack.start..<$0.stack.end }
    let walker = StackWalker(
      memory: MinidumpStackMemory(memory: memory), modules: modules, stackRange: range)
    let walk = walker.walk(context)
    return ThreadStack(
      walk: walk, modules: modules, threadID: threadID, x64: Self.is64(context)
    ) { frame, _ in
      CrashLocation.locate(
        frame.instruction, in: dumpModules, symbols: symbols,
        isReturnAddress: frame.trust != .context && frame.trust != .trap)
    }
  }

  static func is64(_ context: CPUContext) -> Bool {
    if case .x86 = context { return false }
    return true
  }

  /// The crashing processor's stack of a kernel dump, walked from the header context (the state at
  /// KeBugCheckEx) with drivers' images from dump memory or the symbol store.
  public static func crashingThread(of dump: KernelDump, symbols: SymbolTableCache?) -> ThreadStack?
  {
    guard let context = dump.context else { return nil }
    let modules = kernelModules(of: dump, symbols: symbols)
    let walker = StackWalker(memory: KernelStackMemory(dump: dump), modules: modules)
    var walk = walker.walk(context)
    var used: Bucketer.FaultContext?
    if let (fault, ip) = faultContext(of: dump),
      isNamed(fault, in: dump)
        || !walk.frames.dropFirst().contains(where: { $0.trust == .trap && $0.instruction == ip }),
      let fromFault = walkFaultContext(
        fault, dump: dump, walker: walker, context: context)
    {
      // `!analyze` shows and blames the stack as seen from the fault (`.trap`/`.cxr`): the
      // frames above it are the bug check's handling. Used only when the faulting instruction
      // is in a module, so a damaged or stale parameter cannot replace a good walk with junk.
      // A trap frame found on the stack (the bug check names none) replaces the walk only when
      // the walk did not reach it, e.g. through a kernel whose image is not at hand.
      walk = fromFault
      used = fault
    }
    var stack = kernelStack(walk, of: dump, modules: modules, symbols: symbols, context: context)
    stack.faultContext = used
    return stack
  }

  /// The stack of a kernel dump's thread walked from `context` (e.g. a waiting thread's switch
  /// frame), with the same modules, images and symbols as the crashing thread's.
  public static func kernelThread(
    of dump: KernelDump, context: CPUContext, symbols: SymbolTableCache?
  ) -> ThreadStack {
    let modules = kernelModules(of: dump, symbols: symbols)
    let walker = StackWalker(memory: KernelStackMemory(dump: dump), modules: modules)
    return kernelStack(
      walker.walk(context), of: dump, modules: modules, symbols: symbols, context: context)
  }

  /// Loaded and unloaded drivers for the walker: images from the symbol store (shared across
  /// dumps) or from this dump's memory, with their symbol tables.
  static func kernelModules(of dump: KernelDump, symbols: SymbolTableCache?) -> ModuleMap {
    var list = dump.modules.map {
      UnwindModule(name: $0.name, base: $0.base, size: UInt64($0.size))
    }
    list += dump.unloadedDrivers.map {
      UnwindModule(
        name: $0.name, base: $0.start, size: $0.end &- $0.start, isUnloaded: true)
    }
    let kernelModules = dump.modules
    return ModuleMap(list) { wanted in
      guard let module = kernelModules.first(where: { $0.base == wanted.base }) else {
        return .none
      }
      let table = try? symbols?.table(
        imageName: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size
      ).get()
      if let symbols,
        let image = symbols.image(
          name: module.name, timeDateStamp: module.timeDateStamp, sizeOfImage: module.size)
      {
        let key = "unwind-kernel/\(module.name.lowercased())/\(module.timeDateStamp)/\(module.size)"
        return symbols.shared(key) { ModuleCode(image: image, symbols: table) }
      }
      // Not in the store: the copy in this dump's memory, if any, serves this dump only.
      return ModuleCode(
        image: imageInMemory(dump, base: module.base, size: module.size), symbols: table)
    }
  }

  /// A walk of a kernel dump's thread as a symbolized stack.
  static func kernelStack(
    _ walk: StackWalk, of dump: KernelDump, modules: ModuleMap, symbols: SymbolTableCache?,
    context: CPUContext
  ) -> ThreadStack {
    let kernelModules = dump.modules
    var stack = ThreadStack(walk: walk, modules: modules, threadID: nil, x64: Self.is64(context)) {
      frame, module in
      guard let module else {
        return CrashLocation(missingSymbols: "no module contains the address")
      }
      var location = CrashLocation(
        module: module.name, moduleOffset: frame.instruction &- module.base)
      guard let driver = kernelModules.first(where: { $0.base == module.base }) else {
        location.missingSymbols = symbols == nil ? "no symbol path given" : nil
        return location
      }
      location.lookup = .image(
        name: driver.name, timeDateStamp: driver.timeDateStamp, sizeOfImage: driver.size)
      guard let symbols else {
        location.missingSymbols = "no symbol path given"
        return location
      }
      switch symbols.table(
        imageName: driver.name, timeDateStamp: driver.timeDateStamp, sizeOfImage: driver.size)
      {
      case .success(let table):
        location.name(
          with: table, offset: frame.instruction &- module.base,
          isReturnAddress: frame.trust != .context && frame.trust != .trap)
      case .failure(let error):
        location.missingSymbols = error.description
        location.awaitsSymbols = true
      }
      return location
    }
    stack.isKernel = true
    return stack
  }

  /// The walk from the named trap frame or context record, when its instruction is in a module.
  static func walkFaultContext(
    _ named: Bucketer.FaultContext, dump: KernelDump, walker: StackWalker, context: CPUContext
  ) -> StackWalk? {
    let walk: StackWalk?
    switch (named.kind, context) {
    case ("trap", .amd64): walk = walker.walk(trapFrame: named.address, architecture: .x64)
    case ("trap", .x86): walk = walker.walk(trapFrame: named.address, architecture: .x86)
    case ("cxr", _): walk = contextRecord(dump, at: named.address).map { walker.walk($0) }
    default: walk = nil
    }
    guard let walk, let first = walk.frames.first, first.module != nil else { return nil }
    return walk
  }

  /// A driver's image copied out of dump memory, when its headers and its exception directory are
  /// present (full and bitmap dumps; a triage dump keeps a stray page of an image at most, which
  /// is not worth copying). Images over 64 MiB are not copied.
  static func imageInMemory(_ dump: KernelDump, base: UInt64, size: UInt32) -> PEImage? {
    guard size >= 0x1000, size <= 64 << 20,
      let headers = try? dump.read(virtual: base, count: 0x1000),
      let parsed = try? PEImage(
        reader: MappedFile(copying: headers, label: "headers").reader, layout: .mapped)
    else { return nil }
    let exception = parsed.directory(PEDataDirectory.exception)
    if let exception {
      // Every page of the exception directory must be there, or .pdata is useless. A directory
      // outside the image is damage; inside, the walk is at most the image's 16,384 pages.
      guard UInt64(exception.rva) + UInt64(exception.size) <= UInt64(size) else { return nil }
      var page = (base &+ UInt64(exception.rva)) & ~0xFFF
      let end = base &+ UInt64(exception.rva) &+ UInt64(exception.size)
      while page < end {
        guard (try? dump.read(virtual: page, count: 1)) != nil else { return nil }
        page &+= 0x1000
      }
    }
    let copy = dump.readPresent(virtual: base, count: Int(size))
    return try? PEImage(
      reader: MappedFile(copying: copy.bytes, label: "image at 0x\(String(base, radix: 16))")
        .reader,
      layout: .mapped)
  }

  /// `amdppm.sys` → `amdppm`: WinDbg names modules without the extension, and the kernel (whichever
  /// of its builds is loaded) `nt`.
  public static func stem(_ name: String) -> String {
    let kernels = ["ntoskrnl.exe", "ntkrnlmp.exe", "ntkrnlpa.exe", "ntkrpamp.exe"]
    if kernels.contains(name.lowercased()) { return "nt" }
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
  }
}
