import ArgumentParser
import CellfleetBenchmarks
import Foundation

struct BenchScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule", abstract: "A full reschedule of a busy fleet by the scheduler's pure core (docs/scheduling.md).")

    @Option(help: "Channels in the fleet.") var channels = 10_000
    @Option(help: "Cells queued.") var requests = 100_000
    @Option(help: "Timed repeats; the median is reported.") var repeats = 5
    @Option(help: ArgumentHelp(
        "Also run this study as `demo --study` does (a file, or `paper` for the reference study) and report its channel utilisation while work was queued.",
        valueName: "file|name"))
    var study: String?
    @Option(help: "The study run's simulated channels.") var studyChannels = 6
    @Option(help: "The study run's speed factor (test seconds per wall second).") var studySpeed: Double = 36000
    @Option(help: "The study run's samples per second per channel.") var studyRate: Double = 600

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
        var output = line
        if let study { output.merge(try await Self.studyRun(study, channels: studyChannels, speed: studySpeed, rate: studyRate)) { $1 } }
        let data = try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// The study through the real thing: `cellfleet demo --study` in a process of its own (an
    /// embedded PostgreSQL, a coordinator with its scheduler, a scheduled agent), to its end.
    static func studyRun(_ study: String, channels: Int, speed: Double, rate: Double) async throws -> [String: Any] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cellfleet-bench-schedule-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let started = ContinuousClock.now
        let demo = try BenchChildProcess([
            "demo", "--study", study, "--channels", "\(channels)", "--speed", "\(speed)", "--rate", "\(rate)",
            "--data-dir", directory.appendingPathComponent("data").path, "--port", "\(Int.random(in: 20000...40000))",
        ], logsIn: directory, named: "demo")
        guard let status = await demo.waitForExit(timeoutSeconds: 3600), status == 0 else {
            _ = await demo.stop()
            throw ValidationError("the study run did not finish: \(demo.stderrTail)")
        }
        let seconds = started.duration(to: .now)
        let prefix = "  channel utilisation while work was queued: "
        guard let line = demo.stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
              let value = Double(line.dropFirst(prefix.count).prefix { !$0.isWhitespace }) else {
            throw ValidationError("the study run printed no utilisation: \(demo.stdout.suffix(2000))")
        }
        return [
            "study": study, "study_channels": channels, "study_speed": speed,
            "study_wall_s": Double(seconds.components.seconds) + Double(seconds.components.attoseconds) / 1e18,
            "study_utilisation": value,
            "study_outcome": demo.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix(prefix) }.map(String.init),
        ]
    }
}
