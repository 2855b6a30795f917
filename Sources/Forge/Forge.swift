import DumpSynth
import Foundation
import PEImage

/// `crashsift forge`: writes the dumps a scenario describes, each with its truth file, plus a
/// symbol store holding the scenario's images and PDBs (what a team's store would hold).
public enum Forge {
  /// The files written, in order.
  public struct Output: Sendable {
    public var dumps: [String]
    public var truths: [String]
    public var store: String
  }

  /// KDDEBUGGER_DATA64, PsLoadedModuleList and KiProcessorBlock of the forged kernel (fixed
  /// addresses in the sample kernel's data).
  static let kdbg: UInt64 = 0xFFFF_F804_7C60_0B20
  static let moduleHead: UInt64 = 0xFFFF_F804_7C62_A390
  static let moduleEntries: UInt64 = 0xFFFF_F804_7D00_0000
  static let processorBlock: UInt64 = 0xFFFF_F804_7C6F_DC80

  public static func load(scenario path: String) throws(ForgeError) -> ForgeScenario {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw ForgeError("cannot read \(path): \(error.localizedDescription)")
    }
    do {
      let decoder = JSONDecoder()
      decoder.keyDecodingStrategy = .convertFromSnakeCase
      return try decoder.decode(ForgeScenario.self, from: data)
    } catch {
      throw ForgeError("\(path) is not a forge scenario: \(error)")
    }
  }

  /// A scenario resolved against its images: the loaded modules in list order and the stack
  /// entries, ready to be laid out with any seed.
  struct Prepared: Sendable {
    var scenario: ForgeScenario
    var modules: [ForgeImage]
    var entries: [StackForge.Entry]
    var code: UInt32

    /// The bug-check parameters of one layout: `fault` is the faulting instruction, `trap` the
    /// KTRAP_FRAME laid out below its machine frame, `context@module!function+0xOFF` and
    /// `exception@module!function+0xOFF` the fault's CONTEXT record and an EXCEPTION_RECORD,
    /// written into `layout` at that offset from the named frame's stack pointer (where the
    /// kernel's code keeps them).
    func parameters(_ layout: inout StackForge.Layout) throws(ForgeError) -> [UInt64] {
      var parameters: [UInt64] = []
      let fault = layout.faultIP ?? layout.rip
      for text in scenario.parameters {
        if text == "fault" {
          parameters.append(fault)
        } else if text == "trap" {
          guard let trap = layout.trapFrame else {
            throw ForgeError("parameter trap: no frame on the stack is interrupted by a trap")
          }
          parameters.append(trap)
        } else if let place = StackForge.Layout.RecordPlace(text) {
          let record: [UInt8]
          switch place.kind {
          case "context":
            guard let registers = layout.faultRegisters else {
              throw ForgeError("parameter \(text): no frame on the stack is interrupted by a trap")
            }
            record = StackForge.Layout.contextRecord(registers: registers, rip: fault)
          case "exception":
            record = exceptionRecord(fault: fault)
          default:
            throw ForgeError("parameter \(text): a record is context@… or exception@…")
          }
          parameters.append(try layout.write(record, at: place, entries: entries))
        } else if let value = Forge.parseHex(text) {
          parameters.append(value)
        } else {
          throw ForgeError(
            "parameter \(text) is neither hex, fault, trap, context@… nor exception@…")
        }
      }
      return parameters
    }

    /// The exception the bug check reports: for 0x139 the fast fail (STATUS_STACK_BUFFER_OVERRUN,
    /// non-continuable, the fast-fail code in the first parameter as its one parameter); else the
    /// NTSTATUS in the first parameter.
    func exceptionRecord(fault: UInt64) -> [UInt8] {
      let first = scenario.parameters.first.flatMap(Forge.parseHex) ?? 0
      if code == 0x139 {
        return StackForge.Layout.exceptionRecord(
          code: 0xC000_0409, flags: 1, address: fault, parameters: [first])
      }
      return StackForge.Layout.exceptionRecord(
        code: UInt32(truncatingIfNeeded: first), flags: 0, address: fault, parameters: [])
    }
  }

  /// Loads a scenario's images (reusing `cache`, keyed by image path and base) and parses its
  /// stack entries.
  static func prepare(
    _ scenario: ForgeScenario, images: String, cache: inout [String: ForgeImage]
  ) throws(ForgeError) -> Prepared {
    var loaded: [String: ForgeImage] = [:]
    for module in scenario.modules {
      guard let base = parseHex(module.base) else {
        throw ForgeError("module \(module.name): base \(module.base) is not hex")
      }
      let key = "\(module.name)|\(module.image)|\(base)"
      let image: ForgeImage
      if let known = cache[key] {
        image = known
      } else {
        image = try ForgeImage(name: module.name, path: "\(images)/\(module.image)", base: base)
        cache[key] = image
      }
      loaded[module.name.lowercased()] = image
    }
    var entries: [StackForge.Entry] = []
    for text in scenario.stack {
      guard let bang = text.firstIndex(of: "!") else {
        throw ForgeError("stack entry \(text) is not module!function[+0xoff]")
      }
      let moduleName = String(text[..<bang])
      guard let image = loaded[moduleName.lowercased()] else {
        throw ForgeError("stack entry \(text): no module \(moduleName) in the scenario")
      }
      var function = String(text[text.index(after: bang)...])
      var offset: UInt32?
      if let plus = function.lastIndex(of: "+") {
        guard let value = parseHex(String(function[function.index(after: plus)...])),
          value <= UInt32.max
        else { throw ForgeError("stack entry \(text): bad offset") }
        offset = UInt32(value)
        function = String(function[..<plus])
      }
      entries.append(
        StackForge.Entry(
          image: image, function: function, rva: try image.rva(of: function), offset: offset))
    }
    guard let code = parseHex(scenario.bugCheck), code <= UInt32.max else {
      throw ForgeError("bug_check \(scenario.bugCheck) is not hex")
    }
    guard scenario.parameters.count == 4 else { throw ForgeError("parameters: give four") }
    return Prepared(
      scenario: scenario, modules: scenario.modules.compactMap { loaded[$0.name.lowercased()] },
      entries: entries, code: UInt32(code))
  }

  /// Forges `scenario` with images from `images`, writing into `output`.
  public static func run(_ scenario: ForgeScenario, images: String, output: String)
    throws(ForgeError) -> Output
  {
    var cache: [String: ForgeImage] = [:]
    let prepared = try prepare(scenario, images: images, cache: &cache)
    var forge = StackForge(
      seed: scenario.seed ?? 0x5EED,
      stack: scenario.dumps.contains("minidump") ? StackForge.userStack : StackForge.kernelStack)
    var layout = try forge.layout(prepared.entries)
    let parameters = try prepared.parameters(&layout)
    let code = prepared.code
    do {
      try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
    } catch {
      throw ForgeError("cannot create \(output): \(error.localizedDescription)")
    }
    let ordered = prepared.modules
    let store = "\(output)/store"
    try writeStore(
      ordered, to: store, withoutPDB: Set((scenario.unsymbolized ?? []).map { $0.lowercased() }))
    var result = Output(dumps: [], truths: [], store: store)
    for kind in scenario.dumps {
      let bytes = try dump(
        kind, modules: ordered, layout: layout, code: UInt32(code), parameters: parameters)
      let path = "\(output)/\(scenario.name)-\(kind).dmp"
      let truth = ForgeTruth(
        scenario: scenario.name, dumpType: kind, bugCheck: scenario.bugCheck,
        parameters: parameters.map(StackForge.hex), frames: layout.frames, blame: scenario.blame)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      do {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try encoder.encode(truth).write(to: URL(fileURLWithPath: path + ".truth.json"))
      } catch {
        throw ForgeError("cannot write \(path): \(error.localizedDescription)")
      }
      result.dumps.append(path)
      result.truths.append(path + ".truth.json")
    }
    return result
  }

  static func parseHex(_ text: String) -> UInt64? {
    let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
    return UInt64(digits.replacingOccurrences(of: "`", with: ""), radix: 16)
  }

  static func modules(_ images: [ForgeImage]) -> [SyntheticKernel.Module] {
    images.map {
      SyntheticKernel.Module(
        name: $0.name, path: #"\SystemRoot\system32\drivers\"# + $0.name, base: $0.base,
        size: $0.image.sizeOfImage, checksum: $0.image.checksum,
        timeDateStamp: $0.image.timeDateStamp)
    }
  }

  /// One dump of the layout: `triage` (the saved stack and the faulting code page only), or a
  /// full/bitmap/RDMP dump whose memory holds every image, the stack and the kernel structures.
  static func dump(
    _ kind: String, modules images: [ForgeImage], layout: StackForge.Layout, code: UInt32,
    parameters: [UInt64]
  ) throws(ForgeError) -> [UInt8] {
    let stackBytes = stack(layout)
    if kind == "minidump" {
      var writer = MinidumpWriter()
      writer.registers = layout.registers
      writer.rip = layout.rip
      writer.rsp = layout.rsp
      // The stack from RSP up, as Windows captures it.
      writer.stackStart = layout.rsp
      writer.stack = Array(stackBytes.dropFirst(Int(layout.rsp - layout.limit)))
      writer.exceptionCode = code
      // An exception has as many parameters as it uses (2 for an access violation).
      var used = parameters
      while used.last == 0, used.count > 1 { used.removeLast() }
      writer.exceptionParameters = used
      for image in images {
        var record: [UInt8] = []
        if let entry = try? image.image.debugEntries().first(where: { $0.type == 2 }),
          let bytes = try? image.image.reader.bytes(
            at: Int(entry.pointerToRawData), count: Int(entry.sizeOfData), "CodeView")
        {
          record = Array(bytes)
        }
        writer.modules.append(
          MinidumpWriter.Module(
            name: #"C:\Program Files\Contoso\"# + image.name, base: image.base,
            size: image.image.sizeOfImage, checksum: image.image.checksum,
            timeDateStamp: image.image.timeDateStamp, codeView: record))
      }
      return writer.bytes()
    }
    if kind == "triage" {
      var writer = TriageDumpWriter()
      writer.header.bugCheckCode = code
      writer.header.bugCheckParameters = parameters
      writer.header.rip = layout.rip
      writer.header.rsp = layout.rsp
      writer.header.registers = layout.registers
      writer.modules = modules(images)
      if let kernel = images.first { writer.kernBase = kernel.base }
      writer.topOfStack = layout.rsp
      writer.stack = Array(stackBytes.dropFirst(Int(layout.rsp - layout.limit)))
      // Windows keeps the page of code around the faulting instruction.
      let fault = layout.faultIP ?? layout.rip
      if let image = images.first(where: {
        fault >= $0.base && fault - $0.base < UInt64($0.image.sizeOfImage)
      }) {
        let page = (fault - image.base) & ~0xFFF
        let mapped = try image.mapped()
        if Int(page) + 0x1000 <= mapped.count {
          writer.dataBlocks.append(
            (image.base + page, Array(mapped[Int(page)..<(Int(page) + 0x1000)])))
        }
      }
      return writer.bytes()
    }
    let layoutKind: KernelDumpWriter.Layout
    switch kind {
    case "full": layoutKind = .full
    case "bitmap": layoutKind = .bitmap(type: 5, signature: "SDMP")
    case "bitmap6": layoutKind = .bitmap(type: 6, signature: "FDMP")
    case "rdmp8": layoutKind = .rdmp(type: 8)
    case "rdmp9": layoutKind = .rdmp(type: 9)
    case "rdmp10": layoutKind = .rdmp(type: 10)
    default:
      throw ForgeError(
        "dump kind \(kind) is not one of minidump, triage, full, bitmap, bitmap6, rdmp8, rdmp9, rdmp10"
      )
    }
    let kernel = SyntheticKernel()
    for image in images { kernel.write(virtual: image.base, try image.mapped()) }
    kernel.write(virtual: layout.limit, stackBytes)
    kernel.writeDebuggerData(
      virtual: kdbg, kernBase: images.first?.base ?? 0, psLoadedModuleList: moduleHead,
      kiProcessorBlock: processorBlock)
    kernel.writeModuleList(head: moduleHead, entries: moduleEntries, modules: modules(images))
    var writer = KernelDumpWriter(layout: layoutKind)
    writer.psLoadedModuleList = moduleHead
    writer.kdDebuggerDataBlock = kdbg
    writer.bugCheckCode = code
    writer.bugCheckParameters = parameters
    writer.rip = layout.rip
    writer.rsp = layout.rsp
    writer.registers = layout.registers
    return writer.bytes(kernel)
  }

  /// The whole stack region, limit to top, with the slots the layout wrote.
  static func stack(_ layout: StackForge.Layout) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: Int(layout.top - layout.limit))
    for (address, value) in layout.slots
    where address >= layout.limit && address + 8 <= layout.top {
      let offset = Int(address - layout.limit)
      for index in 0..<8 { bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF) }
    }
    return bytes
  }

  /// A Microsoft-layout symbol store with each image under its module name and each PDB.
  /// `withoutPDB`: module names whose PDB is left out (a driver shipped without symbols).
  static func writeStore(_ images: [ForgeImage], to store: String, withoutPDB: Set<String> = [])
    throws(ForgeError)
  {
    let manager = FileManager.default
    for image in images {
      let key = String(format: "%08X%x", image.image.timeDateStamp, image.image.sizeOfImage)
      let imageDir = "\(store)/\(image.name)/\(key)"
      let pdbName = (image.pdbPath as NSString).lastPathComponent
      do {
        guard let id = try image.image.codeView()?.debugIdentifier?.uppercased() else {
          throw ForgeError("\(image.path) has no debug id")
        }
        let pdbDir = "\(store)/\(pdbName)/\(id)"
        var copies = [(imageDir, image.path, image.name)]
        if !withoutPDB.contains(image.name.lowercased()) {
          copies.append((pdbDir, image.pdbPath, pdbName))
        }
        for (directory, source, name) in copies {
          try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
          let target = "\(directory)/\(name)"
          if manager.fileExists(atPath: target) { try manager.removeItem(atPath: target) }
          try manager.copyItem(atPath: source, toPath: target)
        }
      } catch let error as ForgeError {
        throw error
      } catch {
        throw ForgeError("cannot fill the symbol store \(store): \(error.localizedDescription)")
      }
    }
  }
}
