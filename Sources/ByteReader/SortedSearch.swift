/// Binary search over arrays sorted by a key: the lookups of memory ranges, page runs and
/// address maps all ask "which element starts at or before this address?".
public enum SortedSearch {
  /// The index of the last element whose key is ≤ `value`, or `nil` when every key is greater.
  /// `elements` must be sorted by `key`.
  @inlinable
  public static func lastIndex<Element>(
    in elements: [Element], atMost value: UInt64, key: (Element) -> UInt64
  ) -> Int? {
    var low = 0
    var high = elements.count
    while low < high {
      let mid = (low + high) / 2
      if key(elements[mid]) <= value { low = mid + 1 } else { high = mid }
    }
    return low > 0 ? low - 1 : nil
  }
}
