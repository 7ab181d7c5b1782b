import ArgumentParser

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Cycle-life statistics with censoring: Kaplan-Meier, Weibull, log-rank.")

    func run() async throws {
        throw ValidationError("'stats' is not built yet in this version of cellfleet")
    }
}
