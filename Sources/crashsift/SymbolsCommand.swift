import ArgumentParser

/// `crashsift symbols …`: work with symbol files and stores directly.
struct SymbolsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "symbols",
    abstract: "Look addresses up in symbol stores, .sym files and PDBs; export and undecorate.",
    subcommands: [
      SymbolsLookupCommand.self, SymbolsFetchCommand.self, SymbolsIndexCommand.self,
      SymbolsExportCommand.self,
      SymbolsUndecorateCommand.self,
    ])
}
