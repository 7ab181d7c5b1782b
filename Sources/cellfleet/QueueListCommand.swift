import ArgumentParser
import CellfleetAPI
import CellModel
import CellfleetCoordinator
import Foundation

struct QueueListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the queued and assigned requests in the order they run (assigned first, then by priority, first submitted first).")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Only this study's requests (positions stay those in the whole queue).")
    var study: String?

    @Flag(help: "One JSON document: {\"requests\": [{position, request_id, cell_id, study, group, protocol, priority, state, channel, queued_at, assigned_at}]}.")
    var json = false

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.queue")
        let requests: [QueueRecords.Request]
        do {
            requests = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await QueueRecords.list(study: study, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("queue list", error)
        }
        if json {
            let document = SchedulerDocuments.queue(requests)
            printNow(document.render() + "\n")
            return
        }
        guard !requests.isEmpty else { return printNow("the queue is empty\n") }
        var rows = [["#", "request", "state", "priority", "protocol", "channel", "queued at"]]
        for request in requests {
            rows.append([
                "\(request.position)", request.requestID, request.state, "\(request.priority)", request.protocolText, request.channel ?? "-",
                request.queuedAt,
            ])
        }
        printNow(TextTable.render(rows, rightAligned: [0, 3]))
    }
}
