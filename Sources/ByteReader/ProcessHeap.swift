internal import CPosix

/// How the process's heap gives memory back.
public enum ProcessHeap {
  /// Blocks at least this big are mapped on their own and unmapped when freed. glibc starts at
  /// 128 KiB but raises its threshold to the size of each mapped block freed (up to 32 MiB),
  /// after which big transient buffers — a PDB's assembled DBI, TPI or IPI stream, tens of MB
  /// each — come from the heap and stay resident once freed: measured while deriving a 421 MB
  /// PDB, 65 MB still resident after a 33 MB stream was read and dropped. 1 MiB keeps the
  /// pipeline's smaller per-dump buffers on the heap.
  public static let mappedBlockThreshold = 1 << 20

  /// Fixes glibc's mmap threshold at `mappedBlockThreshold` (mallopt M_MMAP_THRESHOLD, which
  /// also turns the dynamic adjustment off). Called first thing by the executables.
  public static func returnLargeBlocksWhenFreed() {
    _ = crashsift_fix_mmap_threshold(Int32(mappedBlockThreshold))
  }
}
