import Foundation
import Interface

/// What the team says about its buckets (`annotations.json` beside the pipeline file): the bug,
/// who owns it, notes, the build that fixes it, or why it is ignored. Keyed by FAILURE_ID_HASH,
/// the bucket identity that survives rule-text changes of the same followup. Only the report
/// reads it, so editing it rewrites the report and re-runs no stage.
public struct Annotations: Sendable, Equatable {
  /// One bucket's annotation.
  public struct Entry: Codable, Sendable, Equatable {
    /// A bug URL or id, shown as a link when it is an http(s) URL.
    public var bug: String?
    public var owner: String?
    public var notes: String?
    /// The build label (from the manifest's `builds`) whose release fixes the bucket: a crash in
    /// this build or a later one makes the bucket "regressed after fix".
    public var fixedIn: String?
    /// Why the bucket is ignored: hidden from Top Crashers and alerts, still counted in totals.
    public var ignore: String?

    public init(
      bug: String? = nil, owner: String? = nil, notes: String? = nil, fixedIn: String? = nil,
      ignore: String? = nil
    ) {
      self.bug = bug
      self.owner = owner
      self.notes = notes
      self.fixedIn = fixedIn
      self.ignore = ignore
    }
  }

  /// By normalised FAILURE_ID_HASH (`key(_:)`).
  public var entries: [String: Entry] = [:]
  /// By Socorro signature, for teams that triage by signature: applies to every bucket whose most
  /// common signature it is, unless the bucket's hash has its own entry.
  public var signatures: [String: Entry] = [:]
  /// The file they came from, for messages.
  public var file: String?

  public init(entries: [String: Entry] = [:], file: String? = nil) {
    self.entries = entries
    self.file = file
  }

  /// The annotation of a bucket: by its FAILURE_ID_HASH, else by its Socorro signature.
  public func entry(hash: String, signature: String? = nil) -> Entry? {
    entries[Self.key(hash)] ?? signature.flatMap { signatures[$0] }
  }

  /// A hash as written by WinDbg (`{233be711-1e68-…}`) or without braces, in any case.
  public static func key(_ hash: String) -> String {
    hash.trimmingCharacters(in: CharacterSet(charactersIn: "{} ")).lowercased()
  }

  /// Reads and validates `path`; `builds` are the manifest's build labels, which `fixed_in` must
  /// name. Every problem is reported, each with its key path.
  public static func load(path: String, builds: [String]) throws(ConfigurationError)
    -> Annotations
  {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigurationError(file: path, messages: ["cannot read the annotations file"])
    }
    let json = try JSONValidator.parse(data: data, file: path)
    var v = JSONValidator(file: path)
    var annotations = Annotations(file: path)
    guard
      let root = v.object(json, "", allowed: ["version", "description", "buckets", "signatures"])
    else {
      throw ConfigurationError(file: path, messages: v.errors)
    }
    if let version = v.integer(v.require(root, "version", ""), "version", minimum: 1), version != 1
    {
      v.fail("version", "this crashsift reads annotations version 1, found \(version)")
    }
    _ = root["description"].map { v.string($0, "description") }
    let known = Set(builds)
    /// One entry's fields, checked; nil when they are not an object.
    func parse(_ value: JSONValue, _ path: String) -> Entry? {
      guard
        let fields = v.object(
          value, path, allowed: ["bug", "owner", "notes", "fixed_in", "ignore"])
      else { return nil }
      var entry = Entry()
      entry.bug = fields["bug"].flatMap { v.string($0, "\(path).bug") }
      entry.owner = fields["owner"].flatMap { v.string($0, "\(path).owner") }
      entry.notes = fields["notes"].flatMap { v.string($0, "\(path).notes") }
      entry.ignore = fields["ignore"].flatMap { v.string($0, "\(path).ignore") }
      if let build = fields["fixed_in"].flatMap({ v.string($0, "\(path).fixed_in") }) {
        if known.contains(build) {
          entry.fixedIn = build
        } else {
          v.fail(
            "\(path).fixed_in",
            "\"\(build)\" is not one of the manifest's builds (\(builds.joined(separator: ", ")))")
        }
      }
      return entry
    }
    let buckets = v.object(root["buckets"], "buckets", allowed: []) ?? [:]
    // Any key is a hash here, so "unknown key" errors from `object` are not wanted.
    v.dropErrors(prefix: "buckets.")
    for (hash, value) in buckets.sorted(by: { $0.key < $1.key }) {
      let path = "buckets.\(hash)"
      let key = Self.key(hash)
      guard Self.isHash(key) else {
        v.fail(
          path,
          "not a FAILURE_ID_HASH (expected {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, as the report's "
            + "bucket pages and buckets.csv show it)")
        continue
      }
      guard let entry = parse(value, path) else { continue }
      if annotations.entries[key] != nil {
        v.fail(path, "the same bucket is annotated twice")
      }
      annotations.entries[key] = entry
    }
    let signatures = v.object(root["signatures"], "signatures", allowed: []) ?? [:]
    v.dropErrors(prefix: "signatures.")
    for (signature, value) in signatures.sorted(by: { $0.key < $1.key }) {
      if let entry = parse(value, "signatures.\(signature)") {
        annotations.signatures[signature] = entry
      }
    }
    guard v.errors.isEmpty else { throw ConfigurationError(file: path, messages: v.errors) }
    return annotations
  }

  /// 32 hex digits in WinDbg's 8-4-4-4-12 grouping.
  static func isHash(_ key: String) -> Bool {
    let groups = key.split(separator: "-", omittingEmptySubsequences: false)
    return groups.map(\.count) == [8, 4, 4, 4, 12]
      && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
  }
}
