import Metrics
import WireProtocol

/// What agents report of their spools in their heartbeats (schemas/wire/README.md, step 8),
/// as per-agent gauges: the coordinator cannot see an agent's backlog any other way, and a
/// growing spool is the first sign of a link or commit problem seen from the agent's side.
/// The `agent` label is bounded by the fleet (a few dozen agents), never per test or sample.
enum AgentSpoolMetrics {
    static func record(_ heartbeat: Cellfleet_Wire_V1_Heartbeat, agentID: String) {
        // Older agents send nothing of their spool: no series rather than a false 0.
        guard heartbeat.spoolReported else { return }
        let agent = [("agent", agentID)]
        Gauge(label: "cellfleet_agent_spool_deliveries", dimensions: agent).record(Double(heartbeat.spoolDepthDeliveries))
        Gauge(label: "cellfleet_agent_spool_bytes", dimensions: agent).record(Double(heartbeat.spoolBytes))
        let age = heartbeat.oldestUnackedAgeS
        Gauge(label: "cellfleet_agent_ack_lag_seconds", dimensions: agent).record(age.isFinite ? max(0, age) : 0)
        Gauge(label: "cellfleet_agent_spool_disk_full", dimensions: agent).record(heartbeat.spoolDiskFull ? 1 : 0)
    }

    /// An agent counts as connected while heard within this: it heartbeats every second.
    static let connectedWithinSeconds = 5.0

    /// Sets `cellfleet_agents_connected` and each heard agent's `cellfleet_agent_connected`.
    static func recordPresence(_ lastHeardAt: [String: ContinuousClock.Instant], now: ContinuousClock.Instant) {
        var connected = 0
        for (agentID, heard) in lastHeardAt {
            let isConnected = heard.duration(to: now) < .milliseconds(Int64(connectedWithinSeconds * 1000))
            if isConnected { connected += 1 }
            Gauge(label: "cellfleet_agent_connected", dimensions: [("agent", agentID)]).record(isConnected ? 1 : 0)
        }
        Gauge(label: "cellfleet_agents_connected").record(connected)
    }
}
