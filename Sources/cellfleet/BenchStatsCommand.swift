import ArgumentParser

struct BenchStatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Kaplan-Meier, Weibull and log-rank for 10 000 cells in 10 groups.")

    func run() async throws {
        throw ValidationError("'stats' is not built yet in this version of cellfleet")
    }
}
