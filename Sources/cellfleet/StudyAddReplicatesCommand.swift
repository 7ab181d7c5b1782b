import ArgumentParser
import CellfleetCoordinator
import Foundation

struct StudyAddReplicatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-replicates",
        abstract: "A group needs more conclusive tests: the scheduler queues extra cells from its stock (a complete study runs again).")

    @Argument(help: "The study's name.")
    var name: String

    @Option(help: "The group's name.")
    var group: String

    @Option(help: "How many more replicates (at least 1).")
    var count: Int

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1, not \(count)") }
    }

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.study")
        let added: StudyRecords.ReplicatesAdded
        do {
            added = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await StudyRecords.addReplicates(name, group: group, count: count, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("study add-replicates", error)
        }
        let reopened = added.reopened ? "; the study is running again" : ""
        printNow("""
            study \(name) group \(group) needs \(added.after) replicates (was \(added.before)), \(added.stockLeft) cells in stock; \
            the scheduler queues the extra cells\(reopened)

            """)
    }
}
