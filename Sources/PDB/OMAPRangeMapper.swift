/// Maps address ranges of an image as linked to the ranges they became in an image reordered
/// after linking (OMAP, e.g. basic-block reordering), the way breakpad's `dump_syms` does before it
/// writes a reordered function as one FUNC per piece. Facts: the OMAP tables (`(final, linked)`
/// and `(linked, final)` pairs, lengths implied by the next entry) and breakpad's documented rules
/// for them (`common/windows/omap.h`): content the final image adds between two pieces of one
/// range (injected) joins them, content the final image drops (removed) is skipped.
public struct OMAPRangeMapper: Sendable {
  /// A piece of the linked image and where it went.
  struct Piece {
    var linked: UInt32
    var final: UInt32
    var length: UInt32
    var injected: UInt32 = 0
    var removed: UInt32 = 0
  }

  let pieces: [Piece]
  /// `reach[i]`: the furthest linked address any of `pieces[0...i]` covers (removed content
  /// included). Non-decreasing, so a lookup skips by binary search every piece that ends before
  /// its range instead of clipping them one by one.
  let reach: [UInt64]

  /// `nil` when the PDB has no OMAP: ranges map to themselves.
  public init?(_ pdb: PDBFile) {
    let toLinked = pdb.omapToSource
    let fromLinked = pdb.omapFromSource
    guard !toLinked.isEmpty, !fromLinked.isEmpty else { return nil }
    let imageLength = pdb.imageLength
    var pieces: [Piece] = []
    // The headers before the first mapped address are usually not in the tables.
    if toLinked[0].0 > 0 && fromLinked[0].0 > 0 {
      let shared = min(toLinked[0].0, fromLinked[0].0)
      pieces.append(
        Piece(
          linked: 0, final: 0, length: shared, injected: toLinked[0].0 - shared,
          removed: fromLinked[0].0 - shared))
    }
    for (index, (final, linked)) in toLinked.enumerated() {
      guard linked < imageLength else { continue }  // added content: no linked address
      var length: UInt32
      if index + 1 < toLinked.count {
        length = toLinked[index + 1].0 &- final
        if UInt64(linked) + UInt64(length) > UInt64(imageLength) { length = imageLength - linked }
      } else {
        length = imageLength - linked
      }
      guard length > 0 else { continue }
      if var previous = pieces.popLast() {
        let previousEnd = previous.final &+ previous.length
        if final > previousEnd { previous.injected &+= final - previousEnd }
        pieces.append(previous)
      }
      pieces.append(Piece(linked: linked, final: final, length: length))
    }
    pieces.sort { ($0.linked, $0.length) < ($1.linked, $1.length) }
    // A piece that ends where a gap in the linked image starts records the gap as removed.
    var front: UInt32 = 0
    var fill = 0
    for index in pieces.indices {
      if front < pieces[index].linked {
        let gap = pieces[index].linked - front
        while fill < index {
          if pieces[fill].linked &+ pieces[fill].length == front { pieces[fill].removed = gap }
          fill += 1
        }
      }
      front = pieces[index].linked &+ pieces[index].length
    }
    self.pieces = pieces
    var furthest: UInt64 = 0
    reach = pieces.map { piece in
      furthest = max(
        furthest, UInt64(piece.linked) + UInt64(piece.length) + UInt64(piece.removed))
      return furthest
    }
  }

  /// The final-image ranges `(rva, length)` of the linked range; for a zero length, the distinct
  /// final addresses of its first byte (each with length 0). Empty when the range was dropped.
  public func map(_ rva: UInt32, length: UInt32) -> [(rva: UInt32, length: UInt32)] {
    let queryLength = max(length, 1)
    let queryEnd = UInt64(rva) + UInt64(queryLength)
    var hits: [Piece] = []
    // The first piece that may reach `rva`.
    var low = 0
    var high = reach.count
    while low < high {
      let mid = (low + high) / 2
      if reach[mid] <= UInt64(rva) { low = mid + 1 } else { high = mid }
    }
    for piece in pieces[low...] {
      guard UInt64(piece.linked) < queryEnd else { break }  // sorted by linked address
      if let clipped = Self.clip(piece, start: rva, end: queryEnd),
        clipped.length &+ clipped.injected > 0
      {
        hits.append(clipped)
      }
    }
    guard !hits.isEmpty else { return [] }
    hits.sort { ($0.final, $0.length) < ($1.final, $1.length) }
    if length == 0 {
      var result: [(rva: UInt32, length: UInt32)] = [(hits[0].final, 0)]
      for hit in hits.dropFirst() where hit.final > result[result.count - 1].rva {
        result.append((hit.final, 0))
      }
      return result
    }
    // Pieces adjacent in the final image (injected content between them included) merge.
    var result: [(rva: UInt32, length: UInt32)] = []
    var begin = hits[0].final
    var contentEnd = begin &+ hits[0].length
    var injectedEnd = contentEnd &+ hits[0].injected
    for hit in hits.dropFirst() {
      if injectedEnd < hit.final {
        if begin < contentEnd { result.append((begin, contentEnd - begin)) }
        begin = hit.final
      }
      contentEnd = hit.final &+ hit.length
      injectedEnd = contentEnd &+ hit.injected
    }
    if begin < contentEnd { result.append((begin, contentEnd - begin)) }
    return result
  }

  /// `piece` cut to the linked range `[start, end)`; `nil` when they do not meet.
  private static func clip(_ piece: Piece, start: UInt32, end: UInt64) -> Piece? {
    var piece = piece
    let pieceEnd = UInt64(piece.linked) + UInt64(piece.length) + UInt64(piece.removed)
    guard end > UInt64(piece.linked), pieceEnd > UInt64(start) else { return nil }
    if piece.linked < start {
      let cut = start - piece.linked
      piece.linked &+= cut
      piece.final &+= cut
      if cut > piece.length {
        let trim = cut - piece.length
        piece.length = 0
        piece.injected -= min(trim, piece.injected)
        piece.removed -= min(trim, piece.removed)
      } else {
        piece.length -= cut
      }
    }
    let contentEnd = UInt64(piece.linked) + UInt64(piece.length)
    if end < contentEnd {
      piece.length -= UInt32(contentEnd - end)
      piece.injected = 0
      piece.removed = 0
    } else {
      if end < contentEnd + UInt64(piece.removed) { piece.removed = UInt32(end - contentEnd) }
      if end < contentEnd + UInt64(piece.injected) { piece.injected = UInt32(end - contentEnd) }
    }
    return piece
  }
}
