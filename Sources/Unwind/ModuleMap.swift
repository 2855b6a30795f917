import ByteReader

/// The modules of one process or kernel, sorted by base, for address lookups; loads each
/// module's code knowledge once, on first use. Used by one walk at a time (not thread-safe).
public final class ModuleMap {
  public let modules: [UnwindModule]
  private let loader: (UnwindModule) -> ModuleCode
  private var loaded: [Int: ModuleCode] = [:]

  /// - Parameter loader: finds a module's image and symbols; called at most once per module.
  public init(_ modules: [UnwindModule], loader: @escaping (UnwindModule) -> ModuleCode) {
    // Loaded modules win over unloaded ones at the same address.
    self.modules = modules.sorted {
      ($0.base, $0.isUnloaded ? 1 : 0) < ($1.base, $1.isUnloaded ? 1 : 0)
    }
    self.loader = loader
  }

  /// The code knowledge of module `index`.
  public func code(_ index: Int) -> ModuleCode {
    if let code = loaded[index] { return code }
    let code = modules[index].isUnloaded ? ModuleCode.none : loader(modules[index])
    loaded[index] = code
    return code
  }

  /// The index of the loaded module containing `address`, else of an unloaded one.
  public func index(containing address: UInt64) -> Int? {
    guard var candidate = SortedSearch.lastIndex(in: modules, atMost: address, key: \.base) else {
      return nil
    }
    var unloaded: Int?
    // Overlaps are rare (an unloaded module's range reused); look back a few entries.
    var looked = 0
    while candidate >= 0, looked < 16 {
      if modules[candidate].contains(address) {
        if !modules[candidate].isUnloaded { return candidate }
        unloaded = unloaded ?? candidate
      }
      candidate -= 1
      looked += 1
    }
    return unloaded
  }

  /// The loaded module containing `address`, with its index.
  func loadedModule(containing address: UInt64) -> (index: Int, module: UnwindModule)? {
    guard let index = index(containing: address), !modules[index].isUnloaded else { return nil }
    return (index, modules[index])
  }
}
