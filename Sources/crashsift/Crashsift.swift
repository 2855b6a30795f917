import ArgumentParser
import CPosix
import Foundation
import GRDB
import Interface
import Pipeline

/// The `crashsift` command: argument parsing and wiring only; the work lives in `Pipeline`.
@main
struct Crashsift: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Turn piles of Windows crash dumps into answers: ingest, parse, bucket, report.",
    discussion: """
      crashsift reads the nightly crash archives named in a corpus manifest, stores each dump once \
      by content hash, and keeps every stage's results in a resumable SQLite workspace. Kill it at \
      any moment; the next run continues where it stopped and an unchanged corpus costs no work.

      Examples:
        crashsift run                               # every stage, corpus-manifest.json, into out/
        crashsift run --manifest nightly.json --jobs 8
        crashsift ingest --workspace /data/crash-ws # only read new archives
        crashsift analyze crash.dmp                 # one dump, like WinDbg's first look
        crashsift status --json                     # per-stage counts for scripts
        crashsift --version                         # release, commit, schema and stage versions

      Exit status: 0 everything done; 1 some items failed (listed) or the run stopped on an \
      error such as a full disk (committed work is kept; re-run to continue); 2 usage or \
      configuration error, or the workspace is held by another run; 3 (with --fail-on) the \
      report lists an alert of a kind it names.

      JSON output (--json, report.json) follows the schemas in docs/schema/: each document names \
      its schema ("schema": "crashsift.<kind>/<major>.<minor>") and carries the versions that \
      produced it ("crashsift").
      """,
    version: BuildInfo.release,
    subcommands: [
      RunCommand.self, IngestCommand.self, ParseCommand.self, StatusCommand.self,
      AnalyzeCommand.self, SymbolsCommand.self, ForgeCommand.self, BucketCommand.self,
      HashCommand.self, ExplainCommand.self, SignifyCommand.self, ReportCommand.self,
      PlanCommand.self, MergeCommand.self, SlurmCommand.self, WorkerCommand.self,
    ]
  )

  /// Maps ArgumentParser's usage errors to exit status 2 (its default is 64) and our
  /// configuration errors to 2 with their message.
  static func main() {
    // Big freed buffers go back to the kernel (CPosix/shim.h says why).
    _ = crashsift_return_large_blocks_when_freed()
    // The full versions, not ArgumentParser's one-line `version` (which only keeps --version in
    // the help): computing them builds the stages, so it happens only when asked.
    if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
      print(VersionInfo.current().text)
      Foundation.exit(0)
    }
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let error as ExitCode {
      Foundation.exit(error.rawValue)
    } catch let error as ConfigurationError {
      fail("error: \(error)")
    } catch let error as WorkspaceBusy {
      fail("error: \(error)")
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      if code == .success {
        exit(withError: error)
      }
      // A run stopped by its environment (disk full, unreadable database): not a usage error.
      var message = "\(error)"
      if let database = error as? DatabaseError, database.resultCode == .SQLITE_FULL {
        message =
          "the disk holding the workspace is full (\(error)); free space and run again: work "
          + "already committed is kept"
      }
      FileHandle.standardError.write(Data("error: \(message)\n".utf8))
      Foundation.exit(1)
    }
  }

  private static func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    Foundation.exit(2)
  }
}
