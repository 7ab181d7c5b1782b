import ArgumentParser
import CellfleetCoordinator
import Foundation

struct ChannelsReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Release a channel's hold: the scheduler may assign it again.")

    @Argument(help: "The channel, AGENT/CHANNEL.")
    var channel: String

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    func validate() throws {
        _ = try ChannelsCommand.address(channel)
    }

    func run() async throws {
        let address = try ChannelsCommand.address(channel)
        let logger = DatabaseClient.logger("cellfleet.channels")
        let hold: ChannelScheduleRecords.Hold
        do {
            hold = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await ChannelScheduleRecords.release(address, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("channels release", error)
        }
        switch hold {
        case .released(let reason, let by):
            printNow("\(address) released (it was held\(by.map { " by \($0)" } ?? "")\(reason.map { ": \($0)" } ?? "")); the scheduler may assign it again\n")
        default:
            printNow("\(address) was not held: nothing changed\n")
        }
    }
}
