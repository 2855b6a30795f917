import ByteReader
import CodeView

/// One `MINIDUMP_MODULE` (108 bytes) with its name and CodeView record resolved.
public struct MinidumpModule: Sendable, Equatable {
  /// breakpad `MD_MODULE_SIZE`: the packed size, not `sizeof` (which may be padded to 112).
  public static let size = 108

  public var baseOfImage: UInt64
  public var sizeOfImage: UInt32
  public var checksum: UInt32
  public var timeDateStamp: UInt32
  public var moduleNameRVA: UInt32
  public var versionInfo: FixedFileInfo
  public var cvRecordLocation: MinidumpLocation
  public var miscRecordLocation: MinidumpLocation
  /// The module path (`code_file`).
  public var name: String
  public var codeView: CodeViewRecord?
  /// Why the CodeView record could not be read, if it could not.
  public var codeViewError: String?

  init(_ list: ByteReader, at offset: Int, file: ByteReader, budget: inout DecodeBudget)
    throws(ParseError)
  {
    let w = "module entry"
    baseOfImage = try list.u64(at: offset, w)
    sizeOfImage = try list.u32(at: offset + 8, w)
    checksum = try list.u32(at: offset + 12, w)
    timeDateStamp = try list.u32(at: offset + 16, w)
    moduleNameRVA = try list.u32(at: offset + 20, w)
    versionInfo = try FixedFileInfo(list, at: offset + 24)
    cvRecordLocation = MinidumpLocation(
      dataSize: try list.u32(at: offset + 76, w), rva: try list.u32(at: offset + 80, w))
    miscRecordLocation = MinidumpLocation(
      dataSize: try list.u32(at: offset + 84, w), rva: try list.u32(at: offset + 88, w))
    name = try MinidumpString.read(file, rva: moduleNameRVA, "module name", budget: &budget)
    if cvRecordLocation.dataSize > 0 {
      do {
        let record = try file.window(
          at: Int(cvRecordLocation.rva), count: Int(cvRecordLocation.dataSize), "CodeView record")
        codeView = try CodeViewRecord(record)
      } catch {
        codeViewError = error.description
      }
    }
  }

  /// One past the last byte of the image (saturating).
  public var end: UInt64 {
    let (sum, overflow) = baseOfImage.addingReportingOverflow(UInt64(sizeOfImage))
    return overflow ? .max : sum
  }

  /// `%08X%x` of (TimeDateStamp, SizeOfImage): the symbol-store key of the image file.
  public var codeIdentifier: String {
    HexFormat.string { out in
      HexFormat.append(UInt64(timeDateStamp), width: 8, uppercase: true, to: &out)
      HexFormat.append(UInt64(sizeOfImage), to: &out)
    }
  }

  /// The PDB name, falling back to the file name as breakpad does when there is no record.
  public var debugFile: String? { codeView?.pdbFileName }

  /// The module's file name without its directory.
  public var baseName: String {
    let separators: Set<Character> = ["\\", "/"]
    if let index = name.lastIndex(where: { separators.contains($0) }) {
      return String(name[name.index(after: index)...])
    }
    return name
  }
}
