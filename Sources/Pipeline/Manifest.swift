import Foundation
import Interface

/// The corpus manifest (`corpus-manifest.json`): nightly batches of archives, the builds they
/// came from, exposure counts for failure rates, the symbol path and the output directory.
///
/// The format is documented in `docs/manifest.md`. Relative paths are resolved against the
/// manifest's own directory, so a manifest can be run from anywhere.
public struct Manifest: Sendable, Equatable {
  /// A product build the field ran.
  public struct Build: Sendable, Equatable {
    public var label: String
    public var date: String?
    /// Driver file name → version shipped in this build, e.g. `contoso.sys` → `10.2.300.1`.
    public var drivers: [String: String]
  }

  /// How many machines ran a build on a day: the denominator of failure rates.
  public struct Exposure: Sendable, Equatable {
    public var build: String
    public var date: String
    public var machines: Int64
  }

  /// One archive path or glob of a batch.
  public struct ArchiveSpec: Sendable, Equatable {
    /// Absolute path or glob pattern (`*`, `?`, `[…]`).
    public var pattern: String
    /// The build label of every archive it names; overrides the batch's.
    public var build: String?
  }

  /// The archives collected in one night (or any other collection window).
  public struct Batch: Sendable, Equatable {
    public var id: String
    public var date: String
    public var build: String?
    public var archives: [ArchiveSpec]
  }

  /// One archive file to ingest, after glob expansion.
  public struct PlannedArchive: Sendable, Equatable {
    public var path: String
    public var batch: String
    public var build: String?

    public init(path: String, batch: String, build: String?) {
      self.path = path
      self.batch = batch
      self.build = build
    }
  }

  public static let currentVersion: Int64 = 1

  /// The manifest file itself.
  public var file: String
  /// Output directory (workspace), absolute.
  public var output: String
  /// Symbol store directories and .sym folders, absolute.
  public var symbolPath: [String]
  /// The pipeline settings file, absolute, if named.
  public var pipeline: String?
  public var builds: [Build]
  public var exposure: [Exposure]
  public var batches: [Batch]
  /// A regular expression whose first capture group (or whole match) names the machine a dump
  /// came from, matched against the entry path inside its archive and then the archive's path;
  /// used for distinct-machine counts. Nil: machines are not known.
  public var machinePattern: String?
  /// The inputs are never rewritten in place once written (uploads land as new files): bare
  /// dumps may then enter the store as hard links to them. Default false.
  public var sourcesImmutable = false

  /// Reads and validates the manifest at `path`; every problem is reported at once.
  public static func load(path: String) throws(ConfigurationError) -> Manifest {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigurationError(
        file: path,
        messages: [
          "cannot read the manifest (does it exist?); pass one with --manifest or create corpus-manifest.json (docs/manifest.md)"
        ])
    }
    let base = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    return try parse(data: data, file: path, baseDirectory: base)
  }

  /// Validates manifest JSON; relative paths resolve against `baseDirectory`.
  public static func parse(
    data: Data, file: String, baseDirectory: String
  ) throws(ConfigurationError) -> Manifest {
    let json = try JSONValidator.parse(data: data, file: file)
    var v = JSONValidator(file: file)
    let resolve = { (p: String) in
      p.hasPrefix("/")
        ? p
        : URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: base(baseDirectory)))
          .standardizedFileURL.path
    }
    guard
      let root = v.object(
        json, "",
        allowed: [
          "version", "description", "output", "symbol_path", "pipeline", "builds", "exposure",
          "batches", "machine_pattern", "sources_immutable",
        ])
    else { throw ConfigurationError(file: file, messages: v.errors) }

    if let version = v.integer(v.require(root, "version", ""), "version", minimum: 1),
      version != currentVersion
    {
      v.fail("version", "this crashsift reads manifest version \(currentVersion), found \(version)")
    }
    _ = root["description"].map { v.string($0, "description") }
    let output = resolve(v.string(root["output"], "output") ?? "out")
    var symbolPath: [String] = []
    if let entries = v.array(root["symbol_path"], "symbol_path") {
      for (index, entry) in entries.enumerated() {
        guard let text = v.string(entry, "symbol_path[\(index)]") else { continue }
        // An entry may be `_NT_SYMBOL_PATH` syntax (`srv*DIR*DIR;cache*DIR`): folders inside it
        // are resolved against the manifest like plain paths; URLs and keywords are kept.
        let resolved = text.split(separator: ";", omittingEmptySubsequences: false).map { part in
          part.split(separator: "*", omittingEmptySubsequences: false).map { element -> String in
            let item = String(element)
            let lower = item.lowercased()
            if item.isEmpty || ["srv", "symsrv", "cache"].contains(lower) || lower.hasSuffix(".dll")
              || lower.hasPrefix("http://") || lower.hasPrefix("https://")
            {
              return item
            }
            return resolve(item)
          }.joined(separator: "*")
        }
        symbolPath.append(resolved.joined(separator: ";"))
      }
    }
    let pipeline = v.string(root["pipeline"], "pipeline").map(resolve)

    var builds: [Build] = []
    var labels: Set<String> = []
    for (index, entry) in (v.array(root["builds"], "builds") ?? []).enumerated() {
      let path = "builds[\(index)]"
      guard let object = v.object(entry, path, allowed: ["label", "date", "drivers"]) else {
        continue
      }
      guard let label = v.string(v.require(object, "label", path), "\(path).label") else {
        continue
      }
      if !labels.insert(label).inserted {
        v.fail("\(path).label", "build \"\(label)\" is listed twice")
      }
      let date = v.date(object["date"], "\(path).date")
      var drivers: [String: String] = [:]
      if let map = v.object(object["drivers"], "\(path).drivers", allowed: []) {
        // Any key is a driver name here, so "unknown key" errors from `object` are not wanted.
        v.dropErrors(prefix: "\(path).drivers.")
        for (name, version) in map {
          if let version = v.string(version, "\(path).drivers.\(name)") { drivers[name] = version }
        }
      }
      builds.append(Build(label: label, date: date, drivers: drivers))
    }
    let knownBuild = { (label: String?, path: String, v: inout JSONValidator) in
      if let label, !labels.contains(label) {
        v.fail(path, "build \"\(label)\" is not listed in \"builds\"")
      }
    }

    var exposure: [Exposure] = []
    for (index, entry) in (v.array(root["exposure"], "exposure") ?? []).enumerated() {
      let path = "exposure[\(index)]"
      guard let object = v.object(entry, path, allowed: ["build", "date", "machines"]) else {
        continue
      }
      let build = v.string(v.require(object, "build", path), "\(path).build")
      knownBuild(build, "\(path).build", &v)
      let date = v.date(v.require(object, "date", path), "\(path).date")
      let machines = v.integer(v.require(object, "machines", path), "\(path).machines")
      if let build, let date, let machines {
        exposure.append(Exposure(build: build, date: date, machines: machines))
      }
    }

    var batches: [Batch] = []
    var batchIDs: Set<String> = []
    let batchList = v.array(v.require(root, "batches", ""), "batches") ?? []
    for (index, entry) in batchList.enumerated() {
      let path = "batches[\(index)]"
      guard let object = v.object(entry, path, allowed: ["id", "date", "build", "archives"]) else {
        continue
      }
      let date = v.date(v.require(object, "date", path), "\(path).date")
      let id = v.string(object["id"], "\(path).id") ?? date
      if let id, !batchIDs.insert(id).inserted {
        v.fail("\(path).id", "batch \"\(id)\" is listed twice")
      }
      let build = v.string(object["build"], "\(path).build")
      knownBuild(build, "\(path).build", &v)
      var specs: [ArchiveSpec] = []
      let archives = v.array(v.require(object, "archives", path), "\(path).archives") ?? []
      if archives.isEmpty && object["archives"] != nil {
        v.fail("\(path).archives", "expected at least one archive path or glob")
      }
      for (archiveIndex, archive) in archives.enumerated() {
        let archivePath = "\(path).archives[\(archiveIndex)]"
        if case .string = archive {
          if let pattern = v.string(archive, archivePath) {
            specs.append(ArchiveSpec(pattern: resolve(pattern), build: nil))
          }
        } else if case .object = archive {
          guard let spec = v.object(archive, archivePath, allowed: ["path", "build"]) else {
            continue
          }
          let pattern = v.string(v.require(spec, "path", archivePath), "\(archivePath).path")
          let specBuild = v.string(spec["build"], "\(archivePath).build")
          knownBuild(specBuild, "\(archivePath).build", &v)
          if let pattern { specs.append(ArchiveSpec(pattern: resolve(pattern), build: specBuild)) }
        } else {
          v.fail(
            archivePath,
            "expected a path string or an object with \"path\", found \(archive.summary)")
        }
      }
      if let id, let date {
        batches.append(Batch(id: id, date: date, build: build, archives: specs))
      }
    }
    if case .array(let list)? = root["batches"], list.isEmpty {
      v.fail("batches", "expected at least one batch")
    }

    let machinePattern = v.string(root["machine_pattern"], "machine_pattern")
    if let machinePattern {
      do {
        let expression = try NSRegularExpression(pattern: machinePattern)
        if expression.numberOfCaptureGroups > 1 {
          v.fail("machine_pattern", "expected at most one capture group (the machine name)")
        }
      } catch {
        v.fail("machine_pattern", "not a valid regular expression: \(machinePattern)")
      }
    }
    let immutable = v.bool(root["sources_immutable"], "sources_immutable") ?? false
    guard v.errors.isEmpty else { throw ConfigurationError(file: file, messages: v.errors) }
    return Manifest(
      file: file, output: output, symbolPath: symbolPath, pipeline: pipeline, builds: builds,
      exposure: exposure, batches: batches, machinePattern: machinePattern,
      sourcesImmutable: immutable)
  }

  private static func base(_ directory: String) -> String {
    directory.hasSuffix("/") ? directory : directory + "/"
  }

  /// Expands every batch's archive globs, in manifest order (globs sorted by path).
  ///
  /// A literal path that does not exist is an error (a typo); a glob that matches nothing is a
  /// warning (a night without uploads is normal).
  public func plannedArchives() throws(ConfigurationError) -> (
    archives: [PlannedArchive], warnings: [String]
  ) {
    var planned: [PlannedArchive] = []
    var warnings: [String] = []
    var errors: [String] = []
    for (batchIndex, batch) in batches.enumerated() {
      for (index, spec) in batch.archives.enumerated() {
        let matches = Glob.expand(spec.pattern)
        if matches.isEmpty {
          if Glob.hasWildcards(spec.pattern) {
            warnings.append("batch \(batch.id): \(spec.pattern) matched no file")
          } else {
            errors.append(
              "batches[\(batchIndex)].archives[\(index)]: \(spec.pattern) does not exist")
          }
        }
        for path in matches {
          planned.append(
            PlannedArchive(path: path, batch: batch.id, build: spec.build ?? batch.build))
        }
      }
    }
    guard errors.isEmpty else { throw ConfigurationError(file: file, messages: errors) }
    return (planned, warnings)
  }
}
