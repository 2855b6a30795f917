import ArgumentParser
import Forge
import Foundation

/// `crashsift forge SCENARIO…`: realistic kernel dumps from the sample images, with their truth.
struct ForgeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forge",
    abstract:
      "Write kernel dumps of a crash scenario from real PE images and PDBs, with the truth.",
    discussion: """
      A scenario (JSON, docs/forge.md) names the images loaded and where, the crashing thread's \
      call chain from its outermost frame, and the bug check. The forge lays the stack out from \
      each function's real unwind info and call instructions (faults enter KiPageFault through \
      a machine frame and a KTRAP_FRAME), then writes each requested dump kind plus \
      <dump>.truth.json (the frames a correct unwinder recovers) and a symbol store holding the \
      images and PDBs.

      --processes writes kernel memory dumps (full and bitmap) of a machine with a process list \
      (waiting threads with switch frames, running threads on their processors) and a 0x9F \
      whose blocked IRP waits on a filter driver, on a stand-in kernel whose PDB carries the \
      real x64 structure layouts (samples/images/kernel-types), with the truth and a store.

      --scale N writes a whole corpus instead: N triage dumps over seven nights and two builds, \
      from the scenarios (default: every file in samples/scenarios) and variants of them with a \
      few big buckets and a long tail, plus manifest.json (with exposure counts), a symbol store \
      and truth.jsonl; `crashsift run --manifest DIR/manifest.json` processes it.

      Examples:
        crashsift forge samples/scenarios/d1-crashdrv-build1.json -o /tmp/forged
        crashsift analyze --symbols 'srv*/tmp/forged/store' /tmp/forged/d1-crashdrv-build1-full.dmp
        crashsift forge --scale 10000 -o /tmp/corpus && crashsift run --manifest /tmp/corpus/manifest.json
        crashsift forge --processes -o /tmp/mem
        crashsift analyze --processes --symbols /tmp/mem/store /tmp/mem/processes-0x9f-full.dmp
      """)

  @Argument(help: "Scenario files (with --scale, default: every scenario in samples/scenarios).")
  var scenarios: [String] = []

  @Option(name: .long, help: "Write a corpus of N dumps over nights and builds instead.")
  var scale: Int?

  @Flag(
    name: .long,
    help: "Write the memory-dump scenario (process list, threads, a 0x9F blocked IRP) instead.")
  var processes = false

  @Option(name: .long, help: "With --scale: the number of nights, ending 2026-11-22 (default 7).")
  var nights = 7

  @Option(name: .shortAndLong, help: "Output folder (default: forged).")
  var output = "forged"

  @Option(
    name: .long,
    help: "Folder of the sample images (default: the scenario's ../images, else samples/images).")
  var images: String?

  @Flag(
    name: .long, help: "Print the files written as a JSON document (crashsift.forge, docs/schema).")
  var json = false

  /// `--json`'s document (docs/schema/forge.schema.json): the output folder and either what each
  /// scenario wrote or, with `--scale`, the corpus summary.
  struct Document: Encodable {
    var output: String
    var scenarios: [Written]?
    var corpus: Corpus?
  }

  /// The files one scenario wrote.
  struct Written: Encodable {
    var scenario: String
    var dumps: [String]
    var truths: [String]
    var store: String
  }

  /// What `--scale` wrote.
  struct Corpus: Encodable {
    var dumps: Int
    var variants: Int
    var manifest: String
    var seconds: Double
  }

  func printJSON(_ document: Document) throws {
    print(try JSONOutput.text(document, schema: .forge, versions: .current(), snakeCase: true))
  }

  func run() throws {
    if processes {
      try runProcesses()
      return
    }
    if let scale {
      try runScale(scale)
      return
    }
    guard !scenarios.isEmpty else {
      throw ValidationError("give scenario files, or --scale N")
    }
    var written: [Written] = []
    for path in scenarios {
      let outcome = Result { () throws(ForgeError) -> (String, Forge.Output) in
        let scenario = try Forge.load(scenario: path)
        let folder = images ?? Self.defaultImages(for: path)
        return (scenario.name, try Forge.run(scenario, images: folder, output: output))
      }
      switch outcome {
      case .failure(let error):
        FileHandle.standardError.write(Data("error: \(path): \(error.description)\n".utf8))
        throw ExitCode(1)
      case .success(let (name, result)):
        written.append(
          Written(scenario: name, dumps: result.dumps, truths: result.truths, store: result.store))
        if !json {
          for dump in result.dumps { print(dump) }
        }
      }
    }
    if json {
      try printJSON(Document(output: output, scenarios: written))
    } else if let first = written.first?.store {
      print("symbol store: \(first)")
    }
  }

  func runProcesses() throws {
    guard scenarios.isEmpty, scale == nil else {
      throw ValidationError(
        "--processes writes its own scenario: give no scenario files or --scale")
    }
    let outcome = Result { () throws(ForgeError) -> Forge.Output in
      try ProcessForge.run(images: images ?? "samples/images", output: output)
    }
    switch outcome {
    case .failure(let error):
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(1)
    case .success(let result):
      if json {
        try printJSON(
          Document(
            output: output,
            scenarios: [
              Written(
                scenario: ProcessForge.name, dumps: result.dumps, truths: result.truths,
                store: result.store)
            ]))
      } else {
        for dump in result.dumps { print(dump) }
        print("symbol store: \(result.store)")
      }
    }
  }

  func runScale(_ count: Int) throws {
    let folder = images ?? "samples/images"
    let files: [String]
    if scenarios.isEmpty {
      let directory = URL(fileURLWithPath: folder).appendingPathComponent("../scenarios")
        .standardized.path
      files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted().map { "\(directory)/\($0)" }
    } else {
      files = scenarios
    }
    let outcome = Result { () throws(ForgeError) -> ForgeScale.Summary in
      var loaded: [ForgeScenario] = []
      for file in files { loaded.append(try Forge.load(scenario: file)) }
      return try ForgeScale.run(
        count: count, scenarios: loaded, images: folder, output: output, nights: nights)
    }
    switch outcome {
    case .failure(let error):
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(1)
    case .success(let summary):
      if json {
        try printJSON(
          Document(
            output: output,
            corpus: Corpus(
              dumps: summary.dumps, variants: summary.variants, manifest: summary.manifest,
              seconds: summary.seconds)))
      } else {
        print(
          "\(summary.dumps) dumps from \(summary.variants) crash variants in \(String(format: "%.1f", summary.seconds)) s; run: crashsift run --manifest \(summary.manifest)"
        )
      }
    }
  }

  static func defaultImages(for scenario: String) -> String {
    let folder = URL(fileURLWithPath: scenario).deletingLastPathComponent()
      .appendingPathComponent("../images").standardized.path
    return FileManager.default.fileExists(atPath: folder) ? folder : "samples/images"
  }
}
