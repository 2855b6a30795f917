import Analysis
import ArgumentParser
import Foundation
import Interface
import Logging
import Pipeline
import Symbols

/// Options shared by the commands that run stages.
struct CommonOptions: ParsableArguments {
  @Option(name: .long, help: "The corpus manifest (docs/manifest.md).")
  var manifest = "corpus-manifest.json"

  @Option(
    name: .long, help: "Workspace directory (default: the manifest's \"output\", usually out/).")
  var workspace: String?

  @Option(name: .long, help: "Pipeline settings file (default: the manifest's \"pipeline\").")
  var pipeline: String?

  @Option(name: [.short, .long], help: "Worker threads (default: one per core).")
  var jobs: Int?

  @Flag(name: [.short, .long], help: "No progress output.")
  var quiet = false

  @Flag(name: .long, help: "Print the run summary as JSON on standard output.")
  var json = false

  @Flag(name: .long, help: "Also retry items whose last attempt failed.")
  var retryFailed = false

  @Flag(
    name: .long,
    help: """
      Also retry every dump that a stage deferred. Without it, a dump waiting for symbols is \
      redone only once its lookup finds a table (a store gained the file, a server \
      answered, a negative-cache entry expired).
      """)
  var retryDeferred = false

  @Flag(
    name: .long,
    help: """
      Run the per-dump stages on threads of this process instead of isolated worker processes \
      (for debugging: a dump that crashes a reader then stops the whole run).
      """)
  var inProcess = false

  @Flag(
    name: .long,
    help: """
      Never ask the symbol path's servers in this run: modules only they have wait (deferred) \
      for a run with network.
      """)
  var offline = false

  func validate() throws {
    if let jobs, jobs < 1 || jobs > 1024 {
      throw ValidationError("--jobs must be between 1 and 1024, got \(jobs)")
    }
  }

  /// Loads the manifest and pipeline settings and builds a runner.
  /// - Parameters:
  ///   - manifestPath: the manifest to use instead of `--manifest` (a plan's).
  ///   - archives: the inputs to ingest instead of the manifest's (a plan's shard).
  func makeRunner(
    manifestPath: String? = nil, archives: [Manifest.PlannedArchive]? = nil,
    workspace override: String? = nil
  ) throws -> PipelineRunner {
    let manifest = try Manifest.load(path: manifestPath ?? self.manifest)
    let settings =
      try (pipeline ?? manifest.pipeline).map { try PipelineSettings.load(path: $0) }
      ?? PipelineSettings()
    var options = PipelineRunner.Options()
    options.workspace = override ?? workspace
    options.archives = archives
    options.jobs = jobs
    options.retryFailed = retryFailed
    options.retryDeferred = retryDeferred
    options.inProcess = inProcess
    options.workerLaunch = WorkerCommand.launch
    options.progress = quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
    LoggingSystem.bootstrap { label in
      var handler = StreamLogHandler.standardError(label: label)
      handler.logLevel = quiet ? .error : .warning
      return handler
    }
    var runner = PipelineRunner(
      manifest: manifest, settings: settings, options: options, logger: Logger(label: "crashsift"))
    // The manifest's symbol path, else WinDbg's variable; its entries use the same syntax.
    let symbolPath =
      manifest.symbolPath.isEmpty
      ? ProcessInfo.processInfo.environment["_NT_SYMBOL_PATH"]
      : manifest.symbolPath.joined(separator: ";")
    var recipe = try Self.recipe(
      symbolPath: symbolPath, allThreads: settings.allThreads, rules: settings.rules)
    recipe.offline = offline
    // Bad server settings (headers file, proxy, CA file) stop the run here with what to fix,
    // rather than leaving every dump deferred.
    if let symbolPath, !offline, SymbolPath(parsing: symbolPath).hasServers {
      _ = try SymbolAccess.configuration()
    }
    runner.recipe = recipe
    runner.dumpStages = try recipe.makeStages()
    return runner
  }

  /// The stages' recipe; the bucketing rules are the pipeline's first rules file, else the
  /// built-in rules (the same as the shipped pipelines/rules/bucketing.json).
  static func recipe(symbolPath: String?, allThreads: Bool, rules files: [String]) throws
    -> StageRecipe
  {
    var recipe = StageRecipe(symbolPath: symbolPath, allThreads: allThreads)
    guard let file = files.first else { return recipe }
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ConfigurationError(file: file, messages: ["cannot read the rules file \(file)"])
    }
    do {
      _ = try BucketRules(data: data, name: file)
    } catch let error as BucketRulesError {
      throw ConfigurationError(file: file, messages: [error.description])
    }
    recipe.rules = data
    recipe.rulesName = file
    return recipe
  }

  /// Prints the summary and turns failures into exit status 1. The progress reporter has already
  /// printed each stage's totals, so the text form adds only what failed and where to look; the
  /// failures are printed even with `--quiet`, since they explain the exit status.
  /// `recipe`: the run's stage recipe, whose rules and settings the JSON's versions name.
  func finish(_ summary: RunSummary, recipe: StageRecipe?) throws {
    if json {
      print(
        (try? JSONOutput.text(
          summary, schema: .run, versions: .current(recipe: recipe), snakeCase: false))
          ?? summary.json(pretty: true))
    } else {
      let text = Self.text(summary, quiet: quiet)
      if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
    }
    if summary.hasFailures { throw ExitCode(1) }
  }

  static func text(_ summary: RunSummary, quiet: Bool) -> String {
    var lines: [String] = []
    for failure in summary.ingest?.failures ?? [] {
      lines.append("failed: \(failure.path): \(failure.error)")
    }
    for stage in summary.stages where stage.failed > 0 {
      lines.append("\(stage.name): \(stage.failed) dumps failed (`crashsift status` lists them)")
    }
    if !lines.isEmpty {
      lines.insert("\(lines.count) item(s) failed:", at: 0)
    }
    if !quiet {
      lines.append("workspace: \(summary.workspace) (`crashsift status` for details)")
    }
    return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
  }
}
