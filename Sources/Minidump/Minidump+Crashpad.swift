import ByteReader
import CodeView

// Crashpad's info stream. Layout: crashpad `minidump_extensions.h` as summarised in
// reference/minidump.md §2.2 (`MINIDUMP_CRASHPAD_INFO`, module links, annotation lists).
extension Minidump {
  /// Crashpad's report/client ids and annotations, if the dump has them.
  public func crashpadInfo() throws(ParseError) -> MinidumpCrashpadInfo? {
    guard let entry = entry(.crashpadInfo) else { return nil }
    let stream = try data(entry)
    let what = "CrashpadInfo stream"
    let file = self.file.reader
    let simple = try Self.dictionary(file, location: try Self.location(stream, at: 36, what))
    var modules: [MinidumpCrashpadInfo.ModuleInfo] = []
    let moduleList = try Self.location(stream, at: 44, what)
    if moduleList.dataSize > 0 {
      let list = try file.window(
        at: Int(moduleList.rva), count: Int(moduleList.dataSize), "Crashpad module list")
      let count = Int(try list.u32(at: 0, "Crashpad module list"))
      guard count <= (list.count - 4) / 12 else {
        throw ParseError("Crashpad module list", offset: list.base, "count \(count) does not fit")
      }
      for index in 0..<count {
        let o = 4 + index * 12
        let moduleIndex = try list.u32(at: o, "Crashpad module link")
        let location = try Self.location(list, at: o + 4, "Crashpad module link")
        let info = try file.window(
          at: Int(location.rva), count: Int(location.dataSize), "Crashpad module info")
        let listAnnotations = try Self.stringList(
          file, location: try Self.location(info, at: 4, "Crashpad module info"))
        let simpleAnnotations = try Self.dictionary(
          file, location: try Self.location(info, at: 12, "Crashpad module info"))
        var objects: [MinidumpCrashpadInfo.AnnotationObject] = []
        if info.count >= 28 {
          objects = try Self.annotations(
            file, location: try Self.location(info, at: 20, "Crashpad module info"))
        }
        modules.append(
          .init(
            moduleIndex: moduleIndex, listAnnotations: listAnnotations,
            simpleAnnotations: simpleAnnotations, annotationObjects: objects))
      }
    }
    return MinidumpCrashpadInfo(
      version: try stream.u32(at: 0, what), reportID: try Self.guid(stream, at: 4, what),
      clientID: try Self.guid(stream, at: 20, what), simpleAnnotations: simple, modules: modules)
  }

  static func location(_ r: ByteReader, at offset: Int, _ what: String) throws(ParseError)
    -> MinidumpLocation
  {
    MinidumpLocation(dataSize: try r.u32(at: offset, what), rva: try r.u32(at: offset + 4, what))
  }

  static func guid(_ r: ByteReader, at offset: Int, _ what: String) throws(ParseError)
    -> MinidumpGUID
  {
    var data4: [UInt8] = []
    for index in 0..<8 { data4.append(try r.u8(at: offset + 8 + index, what)) }
    return MinidumpGUID(
      data1: try r.u32(at: offset, what), data2: try r.u16(at: offset + 4, what),
      data3: try r.u16(at: offset + 6, what), data4: data4)
  }

  /// `MinidumpUTF8String`: u32 length + bytes.
  static func utf8(_ file: ByteReader, rva: UInt32) throws(ParseError) -> String {
    let length = Int(try file.u32(at: Int(rva), "Crashpad string"))
    let bytes = try file.bytes(at: Int(rva) + 4, count: length, "Crashpad string")
    return String(decoding: bytes, as: UTF8.self)
  }

  static func dictionary(_ file: ByteReader, location: MinidumpLocation) throws(ParseError)
    -> [String: String]
  {
    guard location.dataSize > 0 else { return [:] }
    let what = "Crashpad dictionary"
    let list = try file.window(at: Int(location.rva), count: Int(location.dataSize), what)
    let count = Int(try list.u32(at: 0, what))
    guard count <= (list.count - 4) / 8 else {
      throw ParseError(what, offset: list.base, "count \(count) does not fit")
    }
    var result: [String: String] = [:]
    for index in 0..<count {
      let key = try utf8(file, rva: try list.u32(at: 4 + index * 8, what))
      result[key] = try utf8(file, rva: try list.u32(at: 8 + index * 8, what))
    }
    return result
  }

  static func stringList(_ file: ByteReader, location: MinidumpLocation) throws(ParseError)
    -> [String]
  {
    guard location.dataSize > 0 else { return [] }
    let what = "Crashpad string list"
    let list = try file.window(at: Int(location.rva), count: Int(location.dataSize), what)
    let count = Int(try list.u32(at: 0, what))
    guard count <= (list.count - 4) / 4 else {
      throw ParseError(what, offset: list.base, "count \(count) does not fit")
    }
    var result: [String] = []
    for index in 0..<count {
      result.append(try utf8(file, rva: try list.u32(at: 4 + index * 4, what)))
    }
    return result
  }

  static func annotations(_ file: ByteReader, location: MinidumpLocation) throws(ParseError)
    -> [MinidumpCrashpadInfo.AnnotationObject]
  {
    guard location.dataSize > 0 else { return [] }
    let what = "Crashpad annotation list"
    let list = try file.window(at: Int(location.rva), count: Int(location.dataSize), what)
    let count = Int(try list.u32(at: 0, what))
    guard count <= (list.count - 4) / 12 else {
      throw ParseError(what, offset: list.base, "count \(count) does not fit")
    }
    var result: [MinidumpCrashpadInfo.AnnotationObject] = []
    for index in 0..<count {
      let o = 4 + index * 12
      let name = try utf8(file, rva: try list.u32(at: o, what))
      let type = try list.u16(at: o + 4, what)
      let valueRVA = Int(try list.u32(at: o + 8, what))
      let length = Int(try file.u32(at: valueRVA, what))
      result.append(
        .init(name: name, type: type, value: try file.array(at: valueRVA + 4, count: length, what)))
    }
    return result
  }
}
