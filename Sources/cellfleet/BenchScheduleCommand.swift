import ArgumentParser
import CellfleetBenchmarks
import Foundation

struct BenchScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "A full reschedule of a busy fleet by the scheduler's pure core (docs/scheduling.md).")

    @Option(help: "Channels in the fleet.") var channels = 10_000
    @Option(help: "Cells queued.") var requests = 100_000
    @Option(help: "Timed repeats; the median is reported.") var repeats = 5

    func run() async throws {
        let benchmark = ScheduleBenchmark(channels: channels, requests: requests)
        let results = (0..<max(1, repeats)).map { _ in benchmark.run() }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let reschedule = median(results.map(\.rescheduleMs)), sort = median(results.map(\.sortReferenceMs))
        let queueing = median(results.map(\.queueingMs)), rebuild = median(results.map(\.roundRebuildMs))
        let assigned = results[0].assigned
        let line: [String: Any] = [
            "channels": channels, "requests": requests, "assigned": assigned,
            "full_reschedule_ms": reschedule, "goal_ms": 50, "goal_met": reschedule <= 50,
            "decisions_per_s": Double(assigned) / max(reschedule / 1000, 1e-9),
            "queueing_ms": queueing, "round_rebuild_ms": rebuild, "round_rebuild_to_reschedule_ratio": rebuild / max(reschedule, 1e-9), "queue_sort_reference_ms": sort, "reschedule_to_sort_ratio": reschedule / max(sort, 1e-9),
        ]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
