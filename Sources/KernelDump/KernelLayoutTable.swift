import Synchronization

/// Structure offsets of public Windows kernels by machine and build, for dumps read without the
/// nt PDB: the rows of docs/kernel-offsets/offsets.json (each with its sources there: Geoff
/// Chappell's structure pages, PDB-derived listings and headers, Bitdefender hvmi's per-build
/// fields, values seen in real dumps), compiled in by scripts/gen-kernel-layout.py.
enum KernelLayoutTable {
  struct Row {
    var machine: UInt32
    var builds: ClosedRange<UInt32>
    /// nil for a field of the file that crashsift does not read.
    var field: KernelTypeLayout.Field?
    var offset: Int
    var confidence: String

    /// How a layout names where the row came from.
    var label: String {
      let name =
        switch machine {
        case 0x8664: "x64"
        case 0x14C: "x86"
        case 0xAA64: "arm64"
        default: "machine 0x\(String(machine, radix: 16))"
        }
      let range =
        builds.lowerBound == builds.upperBound
        ? "\(builds.lowerBound)" : "\(builds.lowerBound)–\(builds.upperBound)"
      return "\(name) \(range), \(confidence)"
    }
  }

  /// The rows for a machine (IMAGE_FILE_MACHINE_*) and build.
  ///
  /// Remembered per machine and build: every kernel dump asks, and filtering the whole table and
  /// formatting labels cost 2% of a night's run. A hostile night can name any build, so at most
  /// `cacheLimit` answers are kept; the rest are computed each time.
  static func rows(machine: UInt32, build: UInt32) -> [LayoutRow] {
    let key = UInt64(machine) << 32 | UInt64(build)
    if let known = cache.withLock({ $0[key] }) { return known }
    let found: [LayoutRow] = all.compactMap { row in
      guard row.machine == machine, row.builds.contains(build), let field = row.field else {
        return nil
      }
      return (field, row.offset, row.label)
    }
    cache.withLock { if $0.count < cacheLimit { $0[key] = found } }
    return found
  }

  typealias LayoutRow = (field: KernelTypeLayout.Field, offset: Int, label: String)

  static let cacheLimit = 64
  private static let cache = Mutex<[UInt64: [LayoutRow]]>([:])
}
