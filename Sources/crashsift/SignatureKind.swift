import Analysis
import ArgumentParser

/// The extra signature `analyze` and `explain` can compute next to WinDbg's bucket.
enum SignatureKind: String, ExpressibleByArgument, CaseIterable {
  case socorro

  /// The Socorro-compatible signature of a walked stack with the built-in siggen lists.
  static func socorro(_ stack: ThreadStack, reason: String?) -> String? {
    guard let lists = SocorroLists.defaults else { return nil }
    return SocorroSignature.generate(.init(stack: stack, reason: reason), lists: lists).signature
  }
}
