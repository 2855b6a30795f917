import ArgumentParser
import Pipeline

/// `crashsift ingest`: only the ingest stage.
struct IngestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Read the manifest's archives and store every dump once, by SHA-256.",
    discussion: """
      Archives: zip, tar (plain, .gz, .bz2, .xz, .zst), 7z, cab, a lone .gz/.xz of a dump, a bare \
      dump, and archives nested in them (up to ingest.max_depth). Dumps are recognised by their \
      signature (MDMP, PAGEDU64, PAGEDUMP), not by their name.

      Examples:
        crashsift ingest
        crashsift ingest --retry-failed      # read again archives that failed last time
      """)

  @OptionGroup var common: CommonOptions

  func run() throws {
    let runner = try common.makeRunner()
    try common.finish(
      try runner.run(command: "ingest", ingest: true, dumpStageNames: []), recipe: runner.recipe)
  }
}
