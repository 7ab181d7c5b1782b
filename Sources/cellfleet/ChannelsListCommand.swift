import ArgumentParser
import CellfleetAPI
import CellModel
import CellfleetCoordinator
import Foundation

struct ChannelsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every channel an agent announced: its scheduler state, hold, cell, running test and pending load request.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Flag(help: "One JSON document: {\"channels\": [{channel, agent_id, channel_id, make, model, state, since, held, hold_reason, cell_id, test_id, pending_load}]}.")
    var json = false

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.channels")
        let channels: [ChannelScheduleRecords.Channel]
        do {
            channels = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await ChannelScheduleRecords.list(client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("channels list", error)
        }
        if json {
            let document = SchedulerDocuments.channels(channels)
            printNow(document.render() + "\n")
            return
        }
        guard !channels.isEmpty else { return printNow("no channels: no agent has announced any\n") }
        var rows = [["channel", "make", "model", "state", "since", "held", "cell", "test", "pending"]]
        for channel in channels {
            let held = channel.held ? "held: \(channel.holdReason ?? "")" + (channel.heldBy.map { " (\($0))" } ?? "") : "-"
            rows.append([
                channel.address, channel.make.isEmpty ? "-" : channel.make, channel.model.isEmpty ? "-" : channel.model, channel.state,
                channel.since.map { String($0.prefix(19)).replacingOccurrences(of: "T", with: " ") } ?? "-", held, channel.cellID ?? "-",
                channel.testID ?? "-", channel.pendingLoad.map { "load \($0.cellID) (\($0.protocolText))" } ?? "-",
            ])
        }
        printNow(TextTable.render(rows))
    }
}
