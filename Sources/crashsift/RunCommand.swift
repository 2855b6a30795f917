import ArgumentParser
import Pipeline

/// `crashsift run`: every stage in order.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run every stage on the manifest's archives (ingest, then the per-dump stages).",
    discussion: """
      Ingest, parse, then symbolize (the crash address, through the manifest's symbol_path or \
      $_NT_SYMBOL_PATH). Resumable: stop it at any moment (even kill -9) and run it again. Only \
      new archives and dumps whose results are missing or stale are processed; dumps waiting for \
      symbols are retried by every run.

      Examples:
        crashsift run
        crashsift run --manifest /srv/crash/manifest.json --workspace /srv/crash/out --json
      """)

  @OptionGroup var common: CommonOptions

  func run() throws {
    let runner = try common.makeRunner()
    try common.finish(try runner.run(command: "run", ingest: true))
  }
}
