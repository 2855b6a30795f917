import ByteReader
import PEImage
import Symbols

/// What is known about one module's code: its image (for `.pdata` and code bytes), its symbols
/// and the `STACK` records of its `.sym`. Any of them may be missing.
public struct ModuleCode: Sendable {
  public var image: PEImage?
  /// `.pdata` sorted by start.
  public var runtimeFunctions: [PERuntimeFunction]
  public var symbols: SymbolTable?
  public var stackInfo: StackInfo?
  /// ARM64 `.pdata` sorted by start, from `image`.
  public var arm64Functions: [ARM64RuntimeFunction]

  /// An ARM64 function's unwind data: packed in its entry, or its `.xdata` record.
  public struct ARM64Function: Sendable {
    public var entry: ARM64RuntimeFunction
    public var info: ARM64UnwindInfo?
  }

  public static let none = ModuleCode(image: nil, symbols: nil)

  public init(image: PEImage?, symbols: SymbolTable?) {
    self.image = image
    self.runtimeFunctions =
      ((try? image?.runtimeFunctions()) ?? []).sorted { $0.begin < $1.begin }
    self.arm64Functions =
      ((try? image?.arm64RuntimeFunctions()) ?? []).sorted { $0.begin < $1.begin }
    self.symbols = symbols
    let info = symbols.map { StackInfo(records: $0.stackRecords) }
    self.stackInfo = info?.isEmpty == false ? info : nil
  }

  /// The `.pdata` entry covering `rva`.
  public func runtimeFunction(at rva: UInt32) -> PERuntimeFunction? {
    guard
      let index = SortedSearch.lastIndex(
        in: runtimeFunctions, atMost: UInt64(rva), key: { UInt64($0.begin) })
    else { return nil }
    return rva < runtimeFunctions[index].end ? runtimeFunctions[index] : nil
  }

  /// The ARM64 function covering `rva`, with its `.xdata` read.
  public func arm64Function(at rva: UInt32) -> ARM64Function? {
    guard let image,
      let index = SortedSearch.lastIndex(
        in: arm64Functions, atMost: UInt64(rva), key: { UInt64($0.begin) })
    else { return nil }
    let entry = arm64Functions[index]
    if let packed = entry.packed {
      return rva - entry.begin < packed.functionLength
        ? ARM64Function(entry: entry, info: nil) : nil
    }
    guard entry.flag == 0, let info = try? image.arm64UnwindInfo(rva: entry.unwindData),
      rva - entry.begin < info.functionLength
    else { return nil }
    return ARM64Function(entry: entry, info: info)
  }

  /// Whether `rva` is plausibly a call site: in a function of the symbols when they have any, and
  /// in a `.pdata` entry when the image has them (leaf functions have none, and a return address
  /// never points into a leaf). The checks rust-minidump and Sentry apply to scanned frames.
  func seemsCallSite(_ rva: UInt32) -> Bool {
    if let symbols, symbols.hasSymbols {
      guard let hit = symbols.lookup(rva), hit.isCode else { return false }
    }
    if !runtimeFunctions.isEmpty { return runtimeFunction(at: rva) != nil }
    return true
  }

  /// Up to `count` code bytes at `rva`, from the image.
  func codeBytes(rva: UInt32, count: Int) -> [UInt8]? {
    guard let image else { return nil }
    for length in [count, 16, 8] where length <= count {
      if let window = try? image.window(rva: rva, count: length, "code"),
        let bytes = try? window.bytes(at: 0, count: length, "code")
      {
        return Array(bytes)
      }
    }
    return nil
  }
}
