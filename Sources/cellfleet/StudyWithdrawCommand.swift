import ArgumentParser
import CellfleetCoordinator
import Foundation

struct StudyWithdrawCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "withdraw",
        abstract: "Withdraw a study: its queued requests are withdrawn (their cells back in stock), nothing more is assigned; running tests run on.")

    @Argument(help: "The study's name.")
    var name: String

    @Option(help: "Who withdraws it (default: $USER).")
    var by: String?

    @Option(help: "PostgreSQL URL of the coordinators' database.")
    var database: String

    func run() async throws {
        let logger = DatabaseClient.logger("cellfleet.study")
        let person = PersonName.resolve(by)
        let withdrawal: StudyRecords.Withdrawal
        do {
            withdrawal = try await DatabaseClient.with(url: database, logger: logger) { client in
                try await StudyRecords.withdraw(name, by: person, client: client, logger: logger)
            }
        } catch {
            throw schedulerFailure("study withdraw", error)
        }
        let what = withdrawal.alreadyWithdrawn ? "study \(name) was withdrawn already" : "study \(name) withdrawn by \(person)"
        printNow("""
            \(what): \(withdrawal.withdrawnRequests) queued requests withdrawn (their cells back in stock), \
            \(withdrawal.assigned) assigned (the scheduler releases them), \(withdrawal.running) running (they run on)

            """)
    }
}
