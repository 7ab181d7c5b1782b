import ArgumentParser
import CellfleetCoordinator
import Foundation

struct CellsAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add cells from a CSV file (one transaction, all or nothing); a cell in stock has its metadata updated.",
        discussion: """
            The header row names the columns: cell_id (required); cell_type (symmetric, half or full), \
            electrode_area_m2, active_mass_kg, nominal_capacity_ah (positive numbers, SI; empty is none); every other \
            column is a string attribute (empty is none). A quoted field may hold commas (RFC 4180).
            """)

    @Option(help: "The inventory as CSV.")
    var csv: String

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    func run() async throws {
        let text: String
        do { text = try String(contentsOfFile: csv, encoding: .utf8) } catch {
            throw commandFailure("cells add", "cannot read \(csv): \(error.localizedDescription)")
        }
        let inventory: CellInventoryFile
        do { inventory = try CellInventoryFile.parse(text, file: csv) } catch {
            throw commandFailure("cells add", error.description)
        }
        let logger = DatabaseClient.logger("cellfleet.cells")
        let added: CellRecords.Added
        do {
            added = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await CellRecords.add(inventory, file: csv, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("cells add", error)
        }
        printNow("added \(added.added) cells, updated \(added.updated)\n")
    }
}
