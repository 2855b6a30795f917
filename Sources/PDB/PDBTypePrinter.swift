import ByteReader

/// Names types of a PDB's TPI stream the way DIA does when breakpad's `dump_syms` prints a
/// file-local function (`static void parse_cmdline(char *, char * *, char *, int *, int *)`):
/// `const` before the type, `struct`/`class`/`union`/`enum` kept, pointers as ` *` after their
/// target, a function type as nothing. Record layouts: microsoft-pdb `cvinfo.h` (LF_MODIFIER,
/// LF_POINTER, LF_PROCEDURE, LF_MFUNCTION, LF_ARGLIST, LF_CLASS/STRUCTURE/UNION/ENUM) and the
/// primitive type indexes (`T_INT4` 0x74, mode bits 8–11 for pointers). Recursion is bounded.
public struct PDBTypePrinter {
  let types: TypeRecords?

  public init(_ pdb: PDBFile) throws(ParseError) {
    types = try pdb.typeRecords(stream: 2, "TPI stream")
  }

  /// `(return type, parameters)` of an LF_PROCEDURE or LF_MFUNCTION; `("", "")` for index 0.
  public func function(_ index: UInt32) -> (returns: String, parameters: String)? {
    guard index != 0 else { return ("", "") }
    guard let types, let offset = types.offset(of: index),
      let kind = try? types.reader.u16(at: offset + 2, "type")
    else { return nil }
    let r = types.reader
    let returnType: UInt32?
    let arguments: UInt32?
    switch kind {
    case 0x1008:
      returnType = try? r.u32(at: offset + 4, "LF_PROCEDURE")
      arguments = try? r.u32(at: offset + 12, "LF_PROCEDURE")
    case 0x1009:
      returnType = try? r.u32(at: offset + 4, "LF_MFUNCTION")
      arguments = try? r.u32(at: offset + 20, "LF_MFUNCTION")
    default:
      return nil
    }
    guard let returnType, let arguments else { return nil }
    return (name(returnType, depth: 0), argumentList(arguments))
  }

  private func argumentList(_ index: UInt32) -> String {
    guard let types, let offset = types.offset(of: index),
      (try? types.reader.u16(at: offset + 2, "type")) == 0x1201,
      let count = try? types.reader.u32(at: offset + 4, "LF_ARGLIST"), count <= 256
    else { return "" }
    var names: [String] = []
    for slot in 0..<Int(count) {
      guard let argument = try? types.reader.u32(at: offset + 8 + slot * 4, "LF_ARGLIST") else {
        break
      }
      names.append(name(argument, depth: 0))
    }
    if names == ["void"] || names == [""] { return "" }
    return names.joined(separator: ", ")
  }

  private static let primitives: [UInt32: String] = [
    0x00: "", 0x03: "void", 0x08: "HRESULT", 0x10: "char", 0x11: "short", 0x12: "long",
    0x13: "__int64", 0x20: "unsigned char", 0x21: "unsigned short", 0x22: "unsigned long",
    0x23: "unsigned __int64", 0x30: "bool", 0x40: "float", 0x41: "double", 0x42: "long double",
    0x68: "__int8", 0x69: "unsigned __int8", 0x70: "char", 0x71: "wchar_t", 0x72: "short",
    0x73: "unsigned short", 0x74: "int", 0x75: "unsigned int", 0x76: "__int64",
    0x77: "unsigned __int64", 0x7A: "char16_t", 0x7B: "char32_t",
  ]

  /// A type's name; `?` for what cannot be read.
  public func name(_ index: UInt32, depth: Int) -> String {
    guard depth < 16 else { return "?" }
    if index < 0x1000 {
      let base = Self.primitives[index & 0xFF] ?? "?"
      return (index >> 8) & 0xF == 0 ? base : base + " *"
    }
    guard let types, let offset = types.offset(of: index) else { return "?" }
    let r = types.reader
    guard let kind = try? r.u16(at: offset + 2, "type") else { return "?" }
    switch kind {
    case 0x1001:  // LF_MODIFIER
      guard let target = try? r.u32(at: offset + 4, "LF_MODIFIER"),
        let attributes = try? r.u16(at: offset + 8, "LF_MODIFIER")
      else { return "?" }
      var prefix = ""
      if attributes & 1 != 0 { prefix += "const " }
      if attributes & 2 != 0 { prefix += "volatile " }
      return prefix + name(target, depth: depth + 1)
    case 0x1002:  // LF_POINTER
      guard let target = try? r.u32(at: offset + 4, "LF_POINTER"),
        let attributes = try? r.u32(at: offset + 8, "LF_POINTER")
      else { return "?" }
      let symbol: String
      switch (attributes >> 5) & 7 {
      case 1: symbol = "&"
      case 4: symbol = "&&"
      default: symbol = "*"
      }
      var text = name(target, depth: depth + 1) + " " + symbol
      if attributes & 0x400 != 0 { text += " const" }
      if attributes & 0x200 != 0 { text += " volatile" }
      return text
    case 0x1008, 0x1009:
      return ""  // a function type: DIA prints nothing for it
    case 0x1504, 0x1505, 0x1506, 0x1507:
      let keyword =
        [0x1504: "class", 0x1505: "struct", 0x1506: "union", 0x1507: "enum"][kind] ?? ""
      guard let name = try? types.className(index) else { return "?" }
      return "\(keyword) \(name)"
    default:
      return "?"
    }
  }
}
