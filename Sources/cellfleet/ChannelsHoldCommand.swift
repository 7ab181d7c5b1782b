import ArgumentParser
import CellfleetCoordinator
import Foundation

struct ChannelsHoldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hold",
        abstract: "Hold a channel for maintenance: the scheduler assigns it nothing until it is released (a running test runs on).")

    @Argument(help: "The channel, AGENT/CHANNEL.")
    var channel: String

    @Option(help: "Why (shown in `channels list`).")
    var reason: String

    @Option(help: "Who holds it (default: $USER, else \"unknown\").")
    var by: String?

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    func validate() throws {
        _ = try ChannelsCommand.address(channel)
        if reason.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--reason must say why the channel is held") }
    }

    func run() async throws {
        let address = try ChannelsCommand.address(channel)
        let logger = DatabaseClient.logger("cellfleet.channels")
        let person = PersonName.resolve(by)
        let hold: ChannelScheduleRecords.Hold
        do {
            hold = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await ChannelScheduleRecords.hold(address, reason: reason, by: person, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("channels hold", error)
        }
        switch hold {
        case .reheld(let previousReason, let previousBy):
            printNow("\(address) was held already (\(previousReason ?? "no reason")\(previousBy.map { ", by \($0)" } ?? "")); now held by \(person): \(reason)\n")
        default:
            printNow("\(address) held by \(person): \(reason); the scheduler assigns it nothing until `cellfleet channels release \(address)`\n")
        }
    }
}
