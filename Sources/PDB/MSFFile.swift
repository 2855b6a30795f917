import ByteReader

/// The MSF 7.0 container of a PDB: a superblock, a stream directory, and streams made of blocks
/// (reference/pdb-and-symbols.md §2.1; llvm `docs/PDB/MsfFile.rst`).
///
/// Streams are assembled on request into one contiguous buffer, because records straddle block
/// boundaries; every block number is checked against the file, every size against the file size.
public struct MSFFile: Sendable {
  static let magic7 = Array("Microsoft C/C++ MSF 7.00\r\n".utf8) + [0x1A, 0x44, 0x53, 0, 0, 0]
  static let magic2 = Array("Microsoft C/C++ program database 2.00\r\n\u{1A}JG".utf8)

  public let file: MappedFile
  public let blockSize: Int
  public let blockCount: Int
  /// Stream sizes (`nil` for nil streams) and their block numbers.
  public let streamSizes: [Int?]
  let streamBlocks: [[UInt32]]

  public init(file: MappedFile) throws(ParseError) {
    self.file = file
    let r = file.reader
    let head = try r.array(at: 0, count: min(r.count, 44), "MSF superblock")
    if head.starts(with: Self.magic2) {
      throw ParseError(
        "PDB", offset: 0,
        "an MSF 2.0 (\"JG\", Visual C++ 6-era) PDB: not supported; rebuild with a current toolchain"
      )
    }
    guard head.count >= 32, head.prefix(32).elementsEqual(Self.magic7) else {
      throw ParseError("PDB", offset: 0, "not an MSF 7.0 PDB (bad magic)")
    }
    let w = "MSF superblock"
    blockSize = Int(try r.u32(at: 32, w))
    guard [512, 1024, 2048, 4096, 8192, 16384, 32768].contains(blockSize) else {
      throw ParseError(w, offset: 32, "block size \(blockSize) is not a supported power of two")
    }
    blockCount = Int(try r.u32(at: 40, w))
    guard blockCount <= r.count / blockSize + 1 else {
      throw ParseError(
        w, offset: 40, "\(blockCount) blocks of \(blockSize) bytes exceed the \(r.count)-byte file")
    }
    let directoryBytes = Int(try r.u32(at: 44, w))
    guard directoryBytes >= 4, directoryBytes <= r.count else {
      throw ParseError(w, offset: 44, "a stream directory of \(directoryBytes) bytes is impossible")
    }
    // The block map: the blocks holding the list of directory blocks.
    let directoryBlockCount = (directoryBytes + blockSize - 1) / blockSize
    let mapBlockCount = (directoryBlockCount * 4 + blockSize - 1) / blockSize
    var mapBlocks: [UInt32] = []
    for index in 0..<mapBlockCount { mapBlocks.append(try r.u32(at: 52 + index * 4, w)) }
    let map = try Self.assemble(
      r, blocks: mapBlocks, size: directoryBlockCount * 4, blockSize: blockSize,
      blockCount: blockCount, what: "block map")
    var directoryBlocks: [UInt32] = []
    for index in 0..<directoryBlockCount {
      directoryBlocks.append(try map.u32(at: index * 4, "block map"))
    }
    let directory = try Self.assemble(
      r, blocks: directoryBlocks, size: directoryBytes, blockSize: blockSize,
      blockCount: blockCount, what: "stream directory")
    let d = "stream directory"
    let streamCount = Int(try directory.u32(at: 0, d))
    guard streamCount <= (directoryBytes - 4) / 4 else {
      throw ParseError(d, "\(streamCount) streams do not fit in \(directoryBytes) bytes")
    }
    var sizes: [Int?] = []
    var blocks: [[UInt32]] = []
    var cursor = 4 + streamCount * 4
    for index in 0..<streamCount {
      let raw = try directory.u32(at: 4 + index * 4, d)
      if raw == 0xFFFF_FFFF {
        sizes.append(nil)
        blocks.append([])
        continue
      }
      let size = Int(raw)
      guard size <= r.count else {
        throw ParseError(d, "stream \(index) claims \(size) bytes, more than the file")
      }
      let count = (size + blockSize - 1) / blockSize
      var list: [UInt32] = []
      list.reserveCapacity(count)
      for _ in 0..<count {
        list.append(try directory.u32(at: cursor, d))
        cursor += 4
      }
      sizes.append(size)
      blocks.append(list)
    }
    streamSizes = sizes
    streamBlocks = blocks
  }

  /// The bytes of `blocks` laid end to end, `size` of them, copied straight into the reader's
  /// own buffer (a big PDB's DBI, TPI and IPI streams are tens of MB: no second copy).
  static func assemble(
    _ r: ByteReader, blocks: [UInt32], size: Int, blockSize: Int, blockCount: Int, what: String
  ) throws(ParseError) -> ByteReader {
    // `size` was checked against the blocks listed for the stream, so this allocation is bounded
    // by the file; each block is one memcpy.
    guard size <= blocks.count * blockSize else {
      throw ParseError(what, "needs \(size) bytes but its blocks hold \(blocks.count * blockSize)")
    }
    var failure: ParseError?
    let assembled = MappedFile(filling: size, label: what) { buffer in
      failure = fill(
        buffer, from: r, blocks: blocks, size: size, blockSize: blockSize,
        blockCount: blockCount, what: what)
    }
    if let failure { throw failure }
    return assembled.reader
  }

  /// Copies a stream's blocks into `buffer` (`size` bytes, checked against the blocks by the
  /// caller); the rest is zeroed on failure, so the buffer is fully initialized either way.
  private static func fill(
    _ buffer: UnsafeMutableRawBufferPointer, from r: ByteReader, blocks: [UInt32], size: Int,
    blockSize: Int, blockCount: Int, what: String
  ) -> ParseError? {
    var failure: ParseError?
    var filled = 0
    for block in blocks where filled < size {
      guard block != 0, Int(block) < blockCount else {
        failure = ParseError(what, "block \(block) is outside the file's \(blockCount) blocks")
        break
      }
      let take = min(blockSize, size - filled)
      guard let source = try? r.bytes(at: Int(block) * blockSize, count: take, what) else {
        failure = ParseError(what, "block \(block) runs past the end of the file")
        break
      }
      UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + take)]).copyMemory(
        from: source)
      filled += take
    }
    if filled < size {
      buffer[filled..<size].initializeMemory(as: UInt8.self, repeating: 0)
    }
    return failure
  }

  /// Stream `index`, assembled; `nil` for a nil or missing stream.
  public func stream(_ index: Int) throws(ParseError) -> ByteReader? {
    guard index >= 0, index < streamSizes.count, let size = streamSizes[index] else { return nil }
    // A stream laid out in consecutive blocks is a window of the mapping: no copy.
    let blocks = streamBlocks[index]
    if let first = blocks.first, first != 0, Int(first) + blocks.count <= blockCount,
      size <= blocks.count * blockSize,
      zip(blocks, blocks.dropFirst()).allSatisfy({ $1 == $0 + 1 })
    {
      return try file.reader.window(at: Int(first) * blockSize, count: size, "stream \(index)")
    }
    return try Self.assemble(
      file.reader, blocks: blocks, size: size, blockSize: blockSize, blockCount: blockCount,
      what: "stream \(index)")
  }
}
