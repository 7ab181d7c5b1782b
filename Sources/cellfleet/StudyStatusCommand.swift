import ArgumentParser
import CellfleetAPI
import CellModel
import CellfleetCoordinator
import Foundation

struct StudyStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Where a study stands, group by group: tests that count, replaced, in flight, stock left.")

    @Argument(help: "The study's name.")
    var name: String

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Flag(help: "One JSON document: study, state, priority, submitted_at, utilisation, groups [{name, group (the same), replicates_needed, conclusive, failed, replaced, running, assigned, queued, stock_left, state, tests}].")
    var json = false

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.study")
        let study: StudyStatusRecords.Study
        let utilisation: StudyUtilisation
        do {
            (study, utilisation) = try await DatabaseClient.with(url: database, logger: logger) { client in
                let study = try await StudyStatusRecords.status(name, client: client, logger: logger)
                let utilisation = try await client.withConnection { try await StudyUtilisation.measure(study: name, connection: $0, logger: logger) }
                return (study, utilisation)
            }
        } catch {
            throw schedulerFailure("study status", error)
        }
        printNow(json ? SchedulerDocuments.studyStatus(study, utilisation: utilisation).render() + "\n" : Self.text(study, utilisation: utilisation))
    }

    static func text(_ study: StudyStatusRecords.Study, utilisation: StudyUtilisation) -> String {
        var out = "study \(study.name): \(study.state), priority \(study.priority), submitted \(study.submittedAt)\n"
        if let fraction = utilisation.fraction {
            out += String(format: "channel utilisation while its work was queued: %.3f\n", fraction)
        }
        for group in study.groups {
            out += "\ngroup \(group.name): \(group.state), \(group.conclusive) of \(group.replicatesNeeded) conclusive"
            out += " (\(group.failed) failed), \(group.replaced) replaced, \(group.running) running, \(group.assigned) assigned,"
            out += " \(group.queued) queued, \(group.stockLeft) in stock\n"
            guard !group.tests.isEmpty else { continue }
            var rows = [["request", "cell", "state", "channel", "test", "verdict"]]
            for test in group.tests {
                rows.append([test.requestID, test.cellID, test.state, test.channel ?? "-", test.testID ?? "-", test.verdict ?? "-"])
            }
            out += TextTable.render(rows)
        }
        return out
    }
}
