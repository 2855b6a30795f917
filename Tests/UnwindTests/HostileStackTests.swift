import CPUContexts
import Symbols
import Testing

@testable import Analysis
@testable import Unwind

/// Stacks that loop, leave memory, or go on forever end at a bound with the reason recorded.
@Suite("hostile stacks")
struct HostileStackTests {
  static let module = UnwindModule(name: "app.exe", base: 0x40_0000, size: 0x10000)

  static func walker(_ memory: TestMemory) -> StackWalker {
    StackWalker(memory: memory, modules: ModuleMap([module]) { _ in .none })
  }

  static func x86Context(eip: UInt32, esp: UInt32, ebp: UInt32) -> RegisterSet {
    var registers = RegisterSet()
    registers[RegisterSet.ip] = UInt64(eip)
    registers[RegisterSet.sp] = UInt64(esp)
    registers[RegisterSet.fp] = UInt64(ebp)
    return registers
  }

  static func first(_ registers: RegisterSet) -> StackFrame {
    StackFrame(
      instruction: registers[RegisterSet.ip] ?? 0, stackPointer: registers[RegisterSet.sp] ?? 0,
      registers: registers, trust: .context, module: 0)
  }

  @Test("an EBP chain that points at itself is followed once, never round the loop")
  func selfLoop() {
    var memory = TestMemory()
    memory.put32(0x2000, at: 0x2000)  // [ebp] = ebp
    memory.put32(0x40_1005, at: 0x2004)
    let walk = Self.walker(memory).walk(
      from: Self.first(Self.x86Context(eip: 0x40_1000, esp: 0x1F00, ebp: 0x2000)), x64: false)
    #expect(walk.frames.count == 2)
    #expect(walk.frames.last?.trust == .framePointer)
  }

  @Test("frame data that does not move the stack pointer is cut, with the reason")
  func frameDataLoop() throws {
    let symbols = try BreakpadSymbolReader.read(
      text: """
        MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 app.pdb
        FUNC 1000 100 0 f
        STACK WIN 4 1000 100 0 0 0 0 0 0 1 $eip 4198405 = $esp $esp =
        """)
    let modules = ModuleMap([Self.module]) { _ in ModuleCode(image: nil, symbols: symbols) }
    let walk = StackWalker(memory: TestMemory(), modules: modules).walk(
      from: Self.first(Self.x86Context(eip: 0x40_1000, esp: 0x1F00, ebp: 0)), x64: false)
    #expect(walk.truncated)
    #expect(walk.stopReason.contains("did not increase"), "\(walk.stopReason)")
    #expect(walk.frames.count == 1)
  }

  @Test("a stack pointer outside captured memory ends the walk without a guess")
  func outsideMemory() {
    let memory = TestMemory()
    let walk = Self.walker(memory).walk(
      from: Self.first(Self.x86Context(eip: 0x40_1000, esp: 0x1F00, ebp: 0xDEAD_0000)), x64: false)
    #expect(walk.frames.count == 1)
    #expect(walk.stopReason.contains("no return address"), "\(walk.stopReason)")
  }

  @Test("an endless well-formed chain stops at the frame limit")
  func endless() {
    var memory = TestMemory()
    // Each frame's EBP points 16 bytes higher, forever (within the bound).
    let frames = StackWalker.maxFrames + 10
    for index in 0..<frames {
      let ebp = UInt64(0x10_0000 + index * 16)
      memory.put32(UInt32(ebp + 16), at: ebp)
      memory.put32(0x40_1005, at: ebp + 4)
    }
    let walk = Self.walker(memory).walk(
      from: Self.first(Self.x86Context(eip: 0x40_1000, esp: 0xF_FF00, ebp: 0x10_0000)), x64: false)
    #expect(walk.truncated)
    #expect(walk.frames.count == StackWalker.maxFrames)
    #expect(walk.stopReason.contains("limit"))
  }

  @Test("x64 return addresses must be canonical; scanning skips values outside modules")
  func x64Scan() {
    var memory = TestMemory()
    memory.put64(0x8000_0000_0000_1000, at: 0x5000)  // not canonical
    memory.put64(0x1234, at: 0x5008)  // below 4096? no: outside every module
    memory.put64(0x40_2000, at: 0x5010)  // inside app.exe
    var registers = RegisterSet()
    registers[RegisterSet.ip] = 0x40_1000
    registers[RegisterSet.sp] = 0x5000
    let walk = Self.walker(memory).walk(from: Self.first(registers), x64: true)
    #expect(walk.frames.count == 2)
    #expect(walk.frames.last?.instruction == 0x40_2000)
    #expect(walk.frames.last?.trust == .scan)
    #expect(walk.frames.last?.stackPointer == 0x5018)
  }
}

/// Frames in a driver that was unloaded are named WinDbg's way, never symbolized as something else.
@Suite("unloaded modules")
struct UnloadedModuleTests {
  @Test("a return address in an unloaded driver's old range reads <Unloaded_name>+offset")
  func unloaded() {
    let modules = ModuleMap([
      UnwindModule(name: "live.sys", base: 0x1_0000, size: 0x1000),
      UnwindModule(name: "gone.sys", base: 0x2_0000, size: 0x1000, isUnloaded: true),
      // A loaded module reusing part of an unloaded one's range wins.
      UnwindModule(name: "old.sys", base: 0x1_0000, size: 0x800, isUnloaded: true),
    ]) { _ in .none }
    #expect(modules.index(containing: 0x1_0100).map { modules.modules[$0].name } == "live.sys")
    let frames = [
      StackFrame(
        instruction: 0x1_0010, stackPointer: 0x100, registers: RegisterSet(), trust: .context,
        module: modules.index(containing: 0x1_0010)),
      StackFrame(
        instruction: 0x2_0345, stackPointer: 0x200, registers: RegisterSet(), trust: .scan,
        module: modules.index(containing: 0x2_0344)),
    ]
    let stack = ThreadStack(
      walk: StackWalk(frames: frames, stopReason: "test", truncated: false), modules: modules,
      threadID: nil, x64: true
    ) { frame, module in
      CrashLocation(module: module?.name, moduleOffset: frame.instruction - (module?.base ?? 0))
    }
    #expect(stack.frames.map(\.location.text) == ["live.sys+0x10", "<Unloaded_gone.sys>+0x345"])
  }
}
