import Foundation

extension BucketRules {
  /// `defaultText` parsed.
  public static var defaults: BucketRules {
    // The text is a constant checked by the tests; a parse failure is a build defect.
    (try? BucketRules(data: Data(defaultText.utf8), name: "built-in rules"))
      ?? BucketRules(empty: ())
  }

  /// No rules at all (only reachable if the built-in text were broken).
  init(empty: Void) {
    aliases = [:]
    skips = []
    kernelPrefixes = []
    userPrefixes = [:]
    version = "none"
  }
}
