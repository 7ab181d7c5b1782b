import ArgumentParser
import CellfleetAPI
import CellModel
import CellfleetCoordinator
import Foundation

struct StudyListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every study, first submitted first: its state, priority and number of groups.")

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Flag(help: "One JSON document: {\"studies\": [{study, state, priority, submitted_at, groups}]} (groups: how many).")
    var json = false

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.study")
        let studies: [StudyStatusRecords.Summary]
        do {
            studies = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await StudyStatusRecords.list(client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("study list", error)
        }
        if json {
            let document = SchedulerDocuments.studyList(studies)
            printNow(document.render() + "\n")
            return
        }
        guard !studies.isEmpty else { return printNow("no studies\n") }
        var rows = [["study", "state", "priority", "groups", "submitted at"]]
        for study in studies {
            rows.append([study.name, study.state, "\(study.priority)", "\(study.groups)", study.submittedAt])
        }
        printNow(TextTable.render(rows, rightAligned: [2, 3]))
    }
}
