import ByteReader

extension PDBFile {
  /// The x86 frame records: every FRAMEDATA record of the new-FPO stream, then every FPO_DATA
  /// record, each in stream order (the order breakpad writes them). Empty for PDBs without them.
  /// At most one million records per stream.
  public func frameRecords() throws(ParseError) -> [PDBFrameRecord] {
    func stream(_ slot: Int) throws(ParseError) -> ByteReader? {
      guard slot < debugStreamIndexes.count, debugStreamIndexes[slot] != 0xFFFF else { return nil }
      return try msf.stream(debugStreamIndexes[slot])
    }
    var records: [PDBFrameRecord] = []
    if let data = try stream(9) {
      let names = try namesTable()
      let count = min(data.count / 32, 1_000_000)
      records.reserveCapacity(count)
      for index in 0..<count {
        let o = index * 32
        let w = "frame data"
        let programOffset = Int(try data.u32(at: o + 20, w))
        var program: String?
        if let names, programOffset > 0, programOffset < names.count {
          let text = try names.cString(at: programOffset, maxLength: 4096, "frame program")
          program = text.isEmpty ? nil : text
        }
        records.append(
          PDBFrameRecord(
            type: 4, rva: try data.u32(at: o, w), codeSize: try data.u32(at: o + 4, w),
            prologSize: UInt32(try data.u16(at: o + 24, w)),
            parameterSize: try data.u32(at: o + 12, w),
            savedRegisterSize: UInt32(try data.u16(at: o + 26, w)),
            localSize: try data.u32(at: o + 8, w), maxStackSize: try data.u32(at: o + 16, w),
            program: program, allocatesBasePointer: false))
      }
    }
    if let fpo = try stream(0) {
      let count = min(fpo.count / 16, 1_000_000)
      for index in 0..<count {
        let o = index * 16
        let w = "FPO data"
        let bits = try fpo.u16(at: o + 14, w)
        let registers = UInt32((bits >> 8) & 0x7)
        records.append(
          PDBFrameRecord(
            type: 0, rva: try fpo.u32(at: o, w), codeSize: try fpo.u32(at: o + 4, w),
            prologSize: UInt32(bits & 0xFF),
            parameterSize: UInt32(try fpo.u16(at: o + 12, w)) * 4,
            savedRegisterSize: registers * 4, localSize: try fpo.u32(at: o + 8, w) &* 4,
            maxStackSize: 0, program: nil,
            // fUseBP (bit 12); breakpad's .sym for dump_syms_regtest.pdb agrees on all 29 records.
            allocatesBasePointer: bits & 0x1000 != 0))
      }
    }
    return records
  }
}
