import Foundation
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// `cellfleet_alerts{rule,severity,state}`: the alerts in the database, counted every few
/// seconds. Read from the rows rather than counted where alerts change, because they change in
/// many places and processes (live detection in any coordinator, fleet health, `alerts ack` from
/// the CLI and the API): the rows are the one truth, and a restarted coordinator shows the same
/// numbers. Labels are bounded: the detector's and fleet-health rules × three severities × three
/// states. A combination that no longer has rows reads 0 rather than keeping its last count.
public struct AlertMetricsService: Service {
    let client: PostgresClient
    let intervalSeconds: Double
    let logger: Logger
    let ready: @Sendable () async -> Void

    public init(client: PostgresClient, intervalSeconds: Double = 5, logger: Logger, ready: @escaping @Sendable () async -> Void) {
        self.client = client
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.ready = ready
    }

    struct Key: Hashable {
        var rule: String
        var severity: String
        var state: String
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            let period = Duration.milliseconds(Int64(max(0.05, intervalSeconds) * 1000))
            var shown: Set<Key> = []
            while !Task.isCancelled {
                do {
                    shown = try await refresh(shown: shown)
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("could not count the alerts for /metrics; trying again", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: period)
            }
        }
    }

    /// Sets every combination in the database, and zeroes those shown before and gone since.
    func refresh(shown: Set<Key>) async throws -> Set<Key> {
        let rows = try await client.query(
            "SELECT rule, severity, state, count(*) FROM alerts GROUP BY rule, severity, state", logger: logger)
        var counts: [Key: Int64] = [:]
        for try await (rule, severity, state, count) in rows.decode((String, String, String, Int64).self) {
            counts[Key(rule: rule, severity: severity, state: state)] = count
        }
        for key in shown.union(counts.keys) {
            Gauge(label: "cellfleet_alerts", dimensions: [("rule", key.rule), ("severity", key.severity), ("state", key.state)])
                .record(counts[key] ?? 0)
        }
        return shown.union(counts.keys)
    }
}
