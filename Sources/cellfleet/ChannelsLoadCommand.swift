import ArgumentParser
import CellfleetCoordinator
import Foundation

struct ChannelsLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Confirm that the awaited cell is on a real channel (its request runs), or report it damaged at loading (--damaged).",
        discussion: """
            The channel must have a pending load request for this cell. Loaded: the request runs, the cell is on test, \
            the load request is resolved; the test binds when the channel's next file appears. Damaged: the request \
            finishes as damaged, the cell is retired, the channel is free and the scheduler queues the group's next stock cell.
            """)

    @Argument(help: "The channel, AGENT/CHANNEL.")
    var channel: String

    @Option(help: "The cell put on it (the one its load request names).")
    var cell: String

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Who loaded it (default: $USER, else \"unknown\").")
    var by: String?

    @Flag(help: "The cell was found damaged at loading: it is retired and replaced.")
    var damaged = false

    @Option(help: "A note kept with the load (and, for a damaged cell, with the cell).")
    var note: String?

    func validate() throws {
        _ = try ChannelsCommand.address(channel)
    }

    func run() async throws {
        let address = try ChannelsCommand.address(channel)
        let logger = DatabaseClient.logger("cellfleet.channels")
        let person = PersonName.resolve(by)
        let load: ChannelScheduleRecords.Load
        do {
            load = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await ChannelScheduleRecords.load(address, cellID: cell, by: person, damaged: damaged, note: note, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("channels load", error)
        }
        switch load {
        case .loaded(let requestID):
            printNow("cell \(cell) loaded on \(address) by \(person): request \(requestID) is running; its test binds with the channel's next file\n")
        case .damaged(let requestID):
            printNow("""
                cell \(cell) damaged at loading on \(address) (reported by \(person)): request \(requestID) finished as damaged, \
                the cell is retired, \(address) is free; the scheduler queues the group's next stock cell

                """)
        }
    }
}
