import ByteReader
import CPUContexts

/// The SystemInfo stream (56 bytes; reference/minidump.md §2.2).
public struct MinidumpSystemInfo: Sendable, Equatable {
  public static let size = 56

  public var processorArchitecture: ProcessorArchitecture
  public var processorLevel: UInt16
  public var processorRevision: UInt16
  public var numberOfProcessors: UInt8
  public var productType: UInt8
  public var majorVersion: UInt32
  public var minorVersion: UInt32
  public var buildNumber: UInt32
  public var platformID: UInt32
  public var csdVersionRVA: UInt32
  public var suiteMask: UInt16
  /// x86: `vendor_id[3]`, `version_information`, `feature_information`,
  /// `amd_extended_cpu_features`; other CPUs: two u64 processor-feature words as four u32.
  public var cpuInfo: [UInt32]
  /// The service-pack string (`CSDVersion`), when readable.
  public var csdVersion: String?

  init(_ stream: ByteReader, file: ByteReader) throws(ParseError) {
    let w = "SystemInfo stream"
    guard stream.count >= Self.size else {
      throw ParseError(w, offset: stream.base, "is \(stream.count) bytes, \(Self.size) expected")
    }
    processorArchitecture = ProcessorArchitecture(rawValue: try stream.u16(at: 0, w))
    processorLevel = try stream.u16(at: 2, w)
    processorRevision = try stream.u16(at: 4, w)
    numberOfProcessors = try stream.u8(at: 6, w)
    productType = try stream.u8(at: 7, w)
    majorVersion = try stream.u32(at: 8, w)
    minorVersion = try stream.u32(at: 12, w)
    buildNumber = try stream.u32(at: 16, w)
    platformID = try stream.u32(at: 20, w)
    csdVersionRVA = try stream.u32(at: 24, w)
    suiteMask = try stream.u16(at: 28, w)
    var info: [UInt32] = []
    for index in 0..<6 { info.append(try stream.u32(at: 32 + index * 4, w)) }
    cpuInfo = info
    csdVersion =
      csdVersionRVA == 0 ? nil : try? MinidumpString.read(file, rva: csdVersionRVA, "CSD version")
  }

  /// `GenuineIntel`-style vendor from the x86 CPU info, if this is an x86-family CPU.
  public var cpuVendor: String? {
    guard processorArchitecture == .x86 || processorArchitecture == .x86OnWin64 else { return nil }
    var bytes: [UInt8] = []
    for word in cpuInfo.prefix(3) {
      withUnsafeBytes(of: word.littleEndian) { bytes.append(contentsOf: $0) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Breakpad's OS name (`Windows NT`, `Mac OS X`, `Linux`, …) from the platform id.
  public var osName: String {
    switch platformID {
    case 0: return "Windows 3.1"
    case 1: return "Windows 9x"
    case 2: return "Windows NT"
    case 3: return "Windows CE"
    case 0x8000: return "Unix"
    case 0x8101: return "Mac OS X"
    case 0x8102: return "iOS"
    case 0x8201: return "Linux"
    case 0x8202: return "Solaris"
    case 0x8203: return "Android"
    case 0x8204: return "PS3"
    case 0x8205: return "NaCl"
    case 0x8206: return "Fuchsia"
    default: return "0x\(String(platformID, radix: 16))"
    }
  }

  /// `major.minor.build csd`, as breakpad's `os_version` (the CSD part may be empty).
  public var osVersion: String {
    "\(majorVersion).\(minorVersion).\(buildNumber) \(csdVersion ?? "")"
  }

  /// Breakpad's `cpu_info`: `[vendor ]family F model M stepping S` for x86 and AMD64.
  public var cpuDescription: String? {
    guard
      [.x86, .x86OnWin64, .amd64].contains(processorArchitecture)
    else { return nil }
    let model = processorRevision >> 8
    let stepping = processorRevision & 0xFF
    let text = "family \(processorLevel) model \(model) stepping \(stepping)"
    if let vendor = cpuVendor { return "\(vendor) \(text)" }
    return text
  }
}
