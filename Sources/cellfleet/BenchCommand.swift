import ArgumentParser

/// Benchmarks print ratios against a reference run in the same process, because these
/// machines are too noisy for absolute figures to mean much on their own.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure cellfleet against a reference on this machine.",
        subcommands: [BenchIngestCommand.self, BenchCompactCommand.self, BenchAPICommand.self, BenchAlertsCommand.self, BenchDetectCommand.self, BenchParseCommand.self, BenchStatsCommand.self, BenchScheduleCommand.self, BenchTailCommand.self]
    )
}
