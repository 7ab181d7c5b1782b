import ArgumentParser

/// The cell inventory (docs/scheduling.md): cells added from a spreadsheet's CSV before any
/// study names them, and where each cell is now.
struct CellsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cells",
        abstract: "Add cells to the inventory from a CSV file, and list the inventory.",
        subcommands: [CellsAddCommand.self, CellsListCommand.self])
}
