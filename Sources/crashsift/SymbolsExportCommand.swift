import ArgumentParser
import ByteReader
import Foundation
import PDB
import PEImage
import Symbols

/// `crashsift symbols export`: a PDB (and its image) to a Breakpad `.sym` file.
struct SymbolsExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a Breakpad .sym for a PDB (or for an image without its PDB).",
    discussion: """
      The .sym has MODULE, INFO CODE_ID (with --pe), FILE, FUNC with line records, PUBLIC for \
      code no function covers, STACK WIN for x86 PDBs (frame data and FPO records) and, for x64 \
      images given with --pe, breakpad's STACK CFI from the image's unwind data. Given only --pe (no PDB), it writes what breakpad writes for an \
      image whose PDB is missing: MODULE, INFO and STACK CFI. Put the result in a Breakpad tree \
      as <pdb>/<DEBUGID>/<name>.sym, or let `symbols index` do it.

      Images reordered after linking (OMAP) get one FUNC, line and STACK WIN record per \
      piece, as breakpad writes them. INLINE records are not written.

      Examples:
        crashsift symbols export app.pdb --pe app.exe -o app.sym
        crashsift symbols export --pe driver.sys > driver.sym
      """)

  @Argument(help: "The PDB (MSF 7.0).")
  var pdb: String?

  @Option(name: .long, help: "The image (EXE, DLL, SYS) the PDB belongs to.")
  var pe: String?

  @Option(name: [.short, .customLong("output")], help: "Write here instead of standard output.")
  var output: String?

  func validate() throws {
    guard pdb != nil || pe != nil else {
      throw ValidationError("Give a PDB, or --pe IMAGE for an image without its PDB.")
    }
  }

  func run() throws {
    let image: PEImage?
    do {
      image = try pe.map { try PEImage(path: $0) }
    } catch {
      FileHandle.standardError.write(Data("error: cannot read \(pe ?? ""): \(error)\n".utf8))
      throw ExitCode(1)
    }
    let imageName = pe.map { URL(fileURLWithPath: $0).lastPathComponent }
    let text: String
    do {
      if let pdb {
        let file = try PDBFile(path: pdb)
        if let image, let codeView = try image.codeView(),
          let id = codeView.debugIdentifier, id.uppercased() != file.debugIdentifier
        {
          FileHandle.standardError.write(
            Data(
              "warning: \(imageName ?? "the image") names PDB \(id.uppercased()) but \(pdb) is \(file.debugIdentifier)\n"
                .utf8))
        }
        text = try BreakpadSymbolWriter.export(
          pdb: file, pdbName: URL(fileURLWithPath: pdb).lastPathComponent, image: image,
          imageName: imageName)
      } else if let image, let imageName {
        text = try BreakpadSymbolWriter.peOnly(image, fileName: imageName)
      } else {
        return
      }
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(1)
    }
    if let output {
      do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
      } catch {
        FileHandle.standardError.write(Data("error: cannot write \(output): \(error)\n".utf8))
        throw ExitCode(1)
      }
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }
}
