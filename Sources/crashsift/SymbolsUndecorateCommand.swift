import ArgumentParser
import Foundation
import Symbols

/// `crashsift symbols undecorate`: MSVC mangled names (`?…`) to C++ declarations, like
/// `llvm-undname` or `undname.exe`.
struct SymbolsUndecorateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "undecorate",
    abstract: "Undecorate MSVC mangled names (?what@exception@std@@UEBAPEBDXZ).",
    discussion: """
      Prints one line per name: the full declaration (access, return type, calling convention, \
      parameters), or with --name the qualified name alone as frames show it. Names come from the \
      arguments, or one per line on standard input. A name that is not an MSVC mangled name is \
      printed unchanged and the exit status is 1.

      Examples:
        crashsift symbols undecorate '?what@exception@std@@UEBAPEBDXZ'
        llvm-pdbutil dump -publics app.pdb | grep -o '?[^`]*' | crashsift symbols undecorate --name
      """)

  @Flag(name: .long, help: "Print the qualified name only (std::exception::what).")
  var name = false

  @Argument(help: "Mangled names; none to read them from standard input.")
  var names: [String] = []

  func run() throws {
    var failed = false
    func show(_ mangled: String) {
      if let result = MSVCDemangler.demangle(mangled) {
        print(name ? result.name : result.text)
      } else {
        print(mangled)
        failed = true
      }
    }
    if names.isEmpty {
      while let line = readLine() {
        if !line.isEmpty { show(line) }
      }
    } else {
      names.forEach(show)
    }
    if failed { throw ExitCode(1) }
  }
}
