import ArgumentParser
import CellfleetCoordinator
import Foundation
import Scheduling

struct StudySubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a study file (TOML, docs/scheduling.md §5): its groups, stock cells and first requests, in one transaction.",
        discussion: """
            Submitting the same file again changes nothing and exits 0; a changed file under a name already \
            submitted is refused (a study's definition does not change: withdraw it, submit the change under a new name).
            """)

    @Argument(help: "The study file (TOML).")
    var file: String

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    @Option(help: "Who submits it (default: $USER).")
    var by: String?

    func run() async throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw commandFailure("study submit", "cannot read \(file): \(error.localizedDescription)")
        }
        let plan: StudyProgress.Plan
        do { plan = try StudyFile.parse(text, file: file) } catch {
            throw commandFailure("study submit", error.description)
        }
        let logger = DatabaseClient.logger("cellfleet.study")
        let person = PersonName.resolve(by)
        do {
            let outcome = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await StudyRecords.submit(plan, definition: text, submittedBy: person, client: client, logger: logger)
            }
            switch outcome {
            case .submitted(let groups, let cells, let requests):
                printNow("study \(plan.name) submitted: \(groups) groups, \(cells) cells, \(requests) requests queued\n")
            case .unchanged:
                printNow("study \(plan.name) is unchanged: it was submitted before with this definition\n")
            }
        } catch {
            throw schedulerFailure("study submit", error)
        }
    }
}
