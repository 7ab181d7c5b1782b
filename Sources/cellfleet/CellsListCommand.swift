import ArgumentParser
import CellModel
import CellfleetCoordinator
import Foundation

struct CellsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the cell inventory: cells of no study first, then each study's in group and stock order.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Only cells in this state: in_stock, queued, assigned, on_test, done, failed or retired.")
    var state: String?

    @Option(help: "Only this study's cells.")
    var study: String?

    @Flag(help: "One JSON document: {\"cells\": [{cell_id, cell_type, electrode_area_m2, active_mass_kg, nominal_capacity_ah, attributes, state, study, group, note}]}.")
    var json = false

    func validate() throws {
        if let state, !CellRecords.states.contains(state) {
            throw ValidationError("--state must be one of \(CellRecords.states.joined(separator: ", ")), not '\(state)'")
        }
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.cells")
        let cells: [CellRecords.Cell]
        do {
            cells = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await CellRecords.list(state: state, study: study, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("cells list", error)
        }
        if json {
            func text(_ value: String?) -> JSONText { value.map(JSONText.string) ?? .null }
            let document = JSONText.object([("cells", .array(cells.map { cell in
                .object([
                    ("cell_id", .string(cell.cellID)), ("cell_type", text(cell.cellType)),
                    ("electrode_area_m2", .finite(cell.electrodeAreaSquareMeters)), ("active_mass_kg", .finite(cell.activeMassKilograms)),
                    ("nominal_capacity_ah", .finite(cell.nominalCapacityAmpHours)), ("attributes", StoredJSON.text(cell.attributesJSON)),
                    ("state", .string(cell.state)), ("study", text(cell.study)), ("group", text(cell.group)), ("note", text(cell.note)),
                ])
            }))])
            printNow(document.render() + "\n")
            return
        }
        guard !cells.isEmpty else { return printNow("no cells\n") }
        func number(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }
        var rows = [["cell", "type", "area m²", "mass kg", "capacity Ah", "state", "study/group", "attributes", "note"]]
        for cell in cells {
            let attributes = StoredJSON.text(cell.attributesJSON).render(pretty: false)
            rows.append([
                cell.cellID, cell.cellType ?? "-", number(cell.electrodeAreaSquareMeters), number(cell.activeMassKilograms),
                number(cell.nominalCapacityAmpHours), cell.state, cell.study.map { "\($0)/\(cell.group ?? "")" } ?? "-",
                attributes == "{}" ? "-" : attributes, cell.note ?? "-",
            ])
        }
        printNow(TextTable.render(rows, rightAligned: [2, 3, 4]))
    }
}
