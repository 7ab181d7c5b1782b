import ArgumentParser
import CellfleetAgent
import CellfleetCoordinator
import EmbeddedPostgres
import Foundation
import Histogram
import Logging
import PostgresNIO

/// `cellfleet bench alerts`: how soon a failure reaches the database as an alert, at a fleet's
/// real pace. Channels at `--rate` samples/s in wall-clock time (1 Hz by default) stream through
/// the real path into a coordinator with live detection; a few carry the bare-lithium blow-up,
/// given a head start to just before its P2 so it fires within minutes. An alert's latency runs
/// from the moment its firing sample was taken (its `unix_time_s`, the agent's clock, spooled
/// right after) to the moment a listener hears the alert's NOTIFY — sent at COMMIT, so this is
/// at least the commit. The reference, in the same run and database: a one-row transaction's
/// COMMIT → NOTIFY round trip, the least any path from a sample to a visible alert can take.
struct BenchAlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alert latency (sample taken → alert committed) at a fleet's pace, with live detection.")

    @Option(help: "Simulated channels.")
    var channels = 1_000

    @Option(help: "Samples per second per channel (wall-clock time).")
    var rate = 1.0

    @Option(help: "Channels carrying the bare-lithium blow-up (scenario 4); the others are healthy coated cells (scenario 1).")
    var failing = 20

    @Option(help: "Test hours the failing channels produce at once before pacing (their P2 fires at ≈ 106 h).")
    var headStartHours = 104.0

    @Option(help: "Give up waiting for the failing channels' P2 after this many seconds.")
    var timeout = 900.0

    @Option(help: "Scratch directory (a fresh database and spool are made under it and removed).")
    var scratch = "/var/tmp"

    /// Test seconds per sample: the presets' own 60 s logging interval.
    static let testSecondsPerSample = 60.0

    func validate() throws {
        guard channels > 0, failing >= 0, failing <= channels else { throw ValidationError("need 0 ≤ --failing ≤ --channels") }
        guard rate > 0, rate.isFinite, timeout > 0 else { throw ValidationError("--rate and --timeout must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "cellfleet.bench")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: scratch).appendingPathComponent("cellfleet-bench-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        say("bench alerts: \(channels) channels at \(rate) Hz, \(failing) failing (P2 after a \(headStartHours) h head start), live detection on")

        let bench = try await BenchCoordinator(root: root, stages: [DetectionStage()], logger: logger)
        defer {
            bench.stopClient()
            try? bench.postgres.stop()
        }
        let client = bench.client

        // Everything heard on the alerts channel, stamped on arrival.
        let heard = HeardAlerts()
        let listener = Task {
            try await client.withConnection { connection in
                for try await notification in try await connection.listen("cellfleet_alerts") {
                    let now = Date().timeIntervalSince1970
                    let parts = notification.payload.split(separator: " ")
                    if parts.count == 2, parts[1] == "firing", let id = Int64(parts[0]) { heard.add(id, at: now) }
                    if notification.payload == "reference" { heard.reference(at: now) }
                }
            }
        }
        defer { listener.cancel() }
        try await Task.sleep(for: .milliseconds(500))

        // Every `channels / failing`-th channel fails: the scenarios cycle through the list.
        var agentConfiguration = AgentConfiguration(
            agentID: "bench", coordinatorEndpoint: bench.endpoint, spoolDirectory: root.appendingPathComponent("spool"))
        agentConfiguration.simulatedChannels = channels
        agentConfiguration.sampleRateHertz = rate
        agentConfiguration.speedFactor = Self.testSecondsPerSample * rate
        agentConfiguration.insecure = true
        if failing > 0 {
            let period = channels / failing
            agentConfiguration.scenarios = ["4"] + Array(repeating: "1", count: period - 1)
            agentConfiguration.headStartHours = ["4": headStartHours]
        } else {
            agentConfiguration.scenarios = ["1"]
        }
        let failingChannels = failing > 0 ? (channels + channels / failing - 1) / (channels / failing) : 0
        let agent = Agent(configuration: agentConfiguration, logger: logger)
        let agentTask = Task { try await agent.run() }
        let clock = ContinuousClock()
        let started = clock.now

        // The reference round trips, spread over the run so they see the same load.
        var referenceSent: [Double] = []
        func fails() async throws -> Int {
            let rows = try await client.query("SELECT count(DISTINCT test_id) FROM alerts WHERE severity = 'fail'").collect()
            return try rows.first?.decode(Int.self) ?? 0
        }
        while started.duration(to: clock.now) < .seconds(timeout) {
            try await Task.sleep(for: .seconds(2))
            referenceSent.append(Date().timeIntervalSince1970)
            _ = try await client.query("SELECT pg_notify('cellfleet_alerts', 'reference')").collect()
            if try await fails() >= failingChannels { break }
        }
        let elapsed = started.duration(to: clock.now).inSeconds
        try await Task.sleep(for: .seconds(2))
        await agent.requestStop()
        _ = try? await agentTask.value
        await bench.stopCoordinator()

        // Each alert heard, with its firing sample's time; head-start samples (taken at once, not
        // at the fleet's pace) are left out.
        let headStartSamples = Int64(headStartHours * 3600 / Self.testSecondsPerSample)
        let rows = try await client.query("""
            SELECT a.alert_id, a.rule, a.severity, s.unix_time_s, a.seq, t.attributes->>'scenario'
            FROM alerts a JOIN tests t USING (test_id) JOIN samples s ON s.test_id = a.test_id AND s.seq = a.seq
            WHERE a.seq IS NOT NULL
            """).collect()
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var failLatency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        let arrivals = heard.arrivals
        var measured = 0, skipped = 0
        for row in rows {
            let (id, _, severity, taken, seq, scenario) = try row.decode((Int64, String, String, Double?, Int64, String?).self)
            guard let taken, let arrived = arrivals[id], !(scenario == "4" && seq <= headStartSamples) else { skipped += 1; continue }
            let microseconds = UInt64(max(0, (arrived - taken) * 1_000_000))
            _ = latency.record(microseconds)
            if severity == "fail" { _ = failLatency.record(microseconds) }
            measured += 1
        }
        var reference = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        for (sent, arrived) in zip(referenceSent, heard.references) { _ = reference.record(UInt64(max(0, (arrived - sent) * 1_000_000))) }
        let counts = bench.coordinator.statistics.snapshot

        func ms(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
        say(String(format: "ran %.0f s: %d samples committed (%.0f/s offered at the fleet's pace), %d transactions",
                   elapsed, counts.samplesCommitted, Double(channels) * rate, counts.transactions))
        say("alerts: \(rows.count) stored, \(measured) measured at the fleet's pace (\(skipped) from head starts left out), "
            + "\(failLatency.totalCount) of them fail alerts of \(failingChannels) failing channels")
        guard measured > 0 else { throw ValidationError("no alert fired at the fleet's pace within \(timeout) s") }
        say(String(format: "alert latency (sample taken → alert committed): p50 %.0f ms, p99 %.0f ms, max %.0f ms (goal p99 ≤ 1000 ms)",
                   ms(latency, 50), ms(latency, 99), Double(latency.max) / 1000))
        if failLatency.totalCount > 0 {
            say(String(format: "fail alerts only: p50 %.0f ms, p99 %.0f ms", ms(failLatency, 50), ms(failLatency, 99)))
        }
        say(String(format: "reference (one-row COMMIT → NOTIFY heard, same database, same load): p50 %.1f ms, p99 %.1f ms over %d round trips",
                   ms(reference, 50), ms(reference, 99), reference.totalCount))
        say(String(format: "ratio p99 / goal: %.2f", ms(latency, 99) / 1000))
        if reference.totalCount > 0, ms(reference, 50) > 0 {
            say(String(format: "ratio p50 / reference p50: %.1f", ms(latency, 50) / ms(reference, 50)))
        }
    }
}

/// Alert ids and reference notifications as the listener hears them.
private final class HeardAlerts: @unchecked Sendable {
    private let lock = NSLock()
    private var heard: [Int64: Double] = [:]
    private var referenceTimes: [Double] = []

    func add(_ id: Int64, at time: Double) {
        lock.withLock { if heard[id] == nil { heard[id] = time } }
    }

    func reference(at time: Double) {
        lock.withLock { referenceTimes.append(time) }
    }

    var arrivals: [Int64: Double] { lock.withLock { heard } }
    var references: [Double] { lock.withLock { referenceTimes } }
}
