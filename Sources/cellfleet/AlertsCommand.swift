import CellModel
import ArgumentParser
import CellDetection
import CellfleetCoordinator

/// The alerts people act on (docs/live-detection.md §6): list, watch as they commit,
/// acknowledge, resolve. Each acts on the database directly (`--database URL`), so it works
/// beside any number of coordinators, and a change made here reaches the receivers through the
/// same outbox as the ingest path's.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List, watch, acknowledge and resolve the alerts the coordinators stored.",
        subcommands: [AlertsListCommand.self, AlertsWatchCommand.self, AlertsAckCommand.self, AlertsResolveCommand.self])
}

extension AlertState: ExpressibleByArgument {}

/// The filters `list` and `watch` share.
struct AlertFilterOptions: ParsableArguments {
    @Option(help: "Only this test's alerts (its UUID).")
    var test: String?

    @Option(help: "Only this rule's alerts (P2, E2, Q1, F2, …).")
    var rule: String?

    @Option(help: "Only alerts of this severity: fail, warn or info.")
    var severity: String?

    @Option(help: "Only alerts from this source: detector (the rules `cellfleet detect` runs) or coordinator (fleet health, F1–F5).")
    var source: String?

    func validate() throws {
        if let test { _ = try DatabaseClient.testID(test) }
        if let severity, !["fail", "warn", "info"].contains(severity) {
            throw ValidationError("--severity must be fail, warn or info, not '\(severity)'")
        }
        if let source, !["detector", "coordinator"].contains(source) {
            throw ValidationError("--source must be detector or coordinator, not '\(source)'")
        }
    }

    /// The filter these options select.
    func filter() throws -> AlertFilter {
        var filter = AlertFilter(testID: try test.map(DatabaseClient.testID), rule: rule, severity: severity)
        filter.source = source
        return filter
    }
}
