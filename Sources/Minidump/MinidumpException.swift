import ByteReader
import CPUContexts

/// The Exception stream: `MINIDUMP_EXCEPTION_STREAM` (168 bytes).
public struct MinidumpException: Sendable, Equatable {
  public static let size = 168

  public var threadID: UInt32
  public var code: UInt32
  public var flags: UInt32
  public var nestedRecord: UInt64
  public var address: UInt64
  public var numberParameters: UInt32
  /// `ExceptionInformation[0..<min(numberParameters, 15)]`.
  public var parameters: [UInt64]
  public var contextLocation: MinidumpLocation
  public var context: CPUContext?
  public var contextError: String?

  init(_ stream: ByteReader, file: ByteReader, architecture: ProcessorArchitecture?)
    throws(ParseError)
  {
    let w = "Exception stream"
    guard stream.count >= Self.size else {
      throw ParseError(w, offset: stream.base, "is \(stream.count) bytes, \(Self.size) expected")
    }
    threadID = try stream.u32(at: 0, w)
    code = try stream.u32(at: 8, w)
    flags = try stream.u32(at: 12, w)
    nestedRecord = try stream.u64(at: 16, w)
    address = try stream.u64(at: 24, w)
    numberParameters = try stream.u32(at: 32, w)
    var parameters: [UInt64] = []
    for index in 0..<Int(min(numberParameters, 15)) {
      parameters.append(try stream.u64(at: 40 + index * 8, w))
    }
    self.parameters = parameters
    contextLocation = MinidumpLocation(
      dataSize: try stream.u32(at: 160, w), rva: try stream.u32(at: 164, w))
    do {
      let raw = try file.window(
        at: Int(contextLocation.rva), count: Int(contextLocation.dataSize), "exception context")
      context = try CPUContext.read(raw, architecture: architecture)
    } catch {
      contextError = error.description
    }
  }

  /// The reason and crash address as breakpad words them (`minidump_processor.cc`).
  public func crashReason(architecture: ProcessorArchitecture?) -> CrashReason {
    CrashReason(exception: self, architecture: architecture)
  }
}
