import Logging
import PostgresNIO

/// Agents' presence for fleet health (docs/live-detection.md §3, F2). ZeroMQ's ROUTER tells no
/// one when a peer goes away (only the socket monitor would), so presence is what the agent
/// sends: its hello, its heartbeat every second, its deliveries. Every message marks the agent
/// heard in memory; every `presenceWriteSeconds` one UPDATE writes all the agents heard since as
/// seen now, by this coordinator. An agent that stops sending stops being written, and the
/// FleetHealth service — whichever coordinator runs it — finds its `last_seen` growing old.
extension Coordinator {
    func presenceLoop() async {
        let clock = ContinuousClock()
        let period = Duration.milliseconds(Int64(max(0.05, configuration.presenceWriteSeconds) * 1000))
        var lastWrite = clock.now
        var lastMetrics = clock.now
        for await _ in presenceWakeups {
            if lastMetrics.duration(to: clock.now) >= .seconds(1) {
                lastMetrics = clock.now
                AgentSpoolMetrics.recordPresence(lastHeardAt, now: lastMetrics)
            }
            guard lastWrite.duration(to: clock.now) >= period else { continue }
            lastWrite = clock.now
            await writePresence()
        }
    }

    private func writePresence() async {
        guard !agentsHeard.isEmpty else { return }
        let heard = agentsHeard.sorted()
        agentsHeard.removeAll()
        do {
            _ = try await client.query("""
                UPDATE agents SET last_seen = greatest(last_seen, now()), coordinator_id = \(configuration.coordinatorID)
                WHERE agent_id = ANY(\(heard))
                """, logger: logger).collect()
        } catch {
            // Heard again within a second; the next period writes them.
            agentsHeard.formUnion(heard)
            logger.warning("could not record the agents' presence; trying again", metadata: ["agents": "\(heard.count)", "error": "\(String(reflecting: error))"])
        }
    }
}
