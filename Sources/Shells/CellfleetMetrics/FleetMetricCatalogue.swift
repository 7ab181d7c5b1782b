/// One metric of the fleet as Prometheus shows it: the one place that names every metric, says
/// what it means and how it is shaped, so `/metrics` carries a help text for each, a counter
/// reads 0 from start-up (not only after its first increment), and docs/metrics.md and the alert
/// rules in deploy/prometheus have one list to agree with.
public struct FleetMetric: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case counter
        case gauge
        /// Observed through swift-metrics' `Timer`; buckets in seconds.
        case histogram(bucketsSeconds: [Double])
    }

    /// The Prometheus name, as the code's `Counter(label:)`/`Gauge(label:)`/`Timer(label:)` use it.
    public let name: String
    public let help: String
    public let kind: Kind
    /// The label names. A labelled metric has no series until its first label values are known
    /// (a receiver configured, an agent reporting), so only unlabelled ones are made at start-up.
    public let labels: [String]

    public init(_ name: String, _ kind: Kind, labels: [String] = [], help: String) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.help = help
    }
}

extension FleetMetric {
    /// Buckets for the commit latency: a group commit takes milliseconds on a healthy database
    /// and seconds when it is behind; the coordinator gives up on one after its commit timeout.
    public static let latencyBucketsSeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    /// Every metric a cellfleet process (coordinator, `cellfleet api`) may expose.
    public static let catalogue: [FleetMetric] = ingest + detection + fleet + alerting + authentication

    static let ingest: [FleetMetric] = [
        FleetMetric("cellfleet_ingest_samples_total", .counter,
                    help: "Samples committed to the database (each once: duplicates are counted apart)."),
        FleetMetric("cellfleet_ingest_bytes_total", .counter,
                    help: "Bytes of deliveries (test starts, sample batches, test ends, quarantines) held for commit, as serialized on the wire; a re-sent copy of a held delivery is not counted again."),
        FleetMetric("cellfleet_ingest_messages_received_total", .counter, help: "Messages read from the coordinator's socket."),
        FleetMetric("cellfleet_ingest_deliveries_committed_total", .counter, help: "Deliveries committed and acknowledged."),
        FleetMetric("cellfleet_ingest_transactions_total", .counter, help: "Group commit transactions committed."),
        FleetMetric("cellfleet_ingest_samples_duplicate_total", .counter,
                    help: "Samples received again at or below the committed high-water mark, and not stored again."),
        FleetMetric("cellfleet_ingest_non_finite_values_total", .counter, help: "NaN or infinite measurements, stored as NULL."),
        FleetMetric("cellfleet_ingest_commit_failures_total", .counter, help: "Group commits that failed (nothing of them was acknowledged; the agents re-send)."),
        FleetMetric("cellfleet_ingest_malformed_messages_total", .counter, help: "Messages refused as malformed."),
        FleetMetric("cellfleet_ingest_unstorable_deliveries_total", .counter,
                    help: "Deliveries refused UNSTORABLE: the database refused them on their own, for what they hold or again and again."),
        FleetMetric("cellfleet_ingest_samples_lost_total", .counter,
                    help: "Samples agents declared lost and the coordinator recorded as holes (sample_losses; alert F5)."),
        FleetMetric("cellfleet_ingest_unsupported_protocol_version_total", .counter, help: "Messages or hellos refused for their protocol version."),
        FleetMetric("cellfleet_ingest_sequence_gaps_total", .counter, help: "Batches refused with SEQUENCE_GAP."),
        FleetMetric("cellfleet_ingest_unknown_tests_total", .counter, help: "Deliveries refused with UNKNOWN_TEST."),
        FleetMetric("cellfleet_ingest_not_your_test_total", .counter, help: "Deliveries refused with NOT_YOUR_TEST."),
        FleetMetric("cellfleet_ingest_credit_exceeded_total", .counter, help: "Deliveries refused with CREDIT_EXCEEDED (beyond the agent's credit or share)."),
        FleetMetric("cellfleet_ingest_deliveries_coalesced_total", .counter, help: "Re-sent copies of deliveries still held, answered by the held one's outcome."),
        FleetMetric("cellfleet_ingest_hellos_total", .counter, help: "Hellos read."),
        FleetMetric("cellfleet_ingest_hellos_coalesced_total", .counter, help: "Hellos answered by a registration of the same agent already in progress."),
        FleetMetric("cellfleet_ingest_hellos_dropped_total", .counter, help: "Hellos not kept because too many agents were waiting to be registered."),
        FleetMetric("cellfleet_ingest_replies_undeliverable_total", .counter, help: "Replies the socket could not deliver (the agent re-sends)."),
        FleetMetric("cellfleet_ingest_read_pauses_total", .counter,
                    help: "Times the coordinator stopped reading its socket because everything it may hold was held (back-pressure)."),
        FleetMetric("cellfleet_ingest_commit_latency_seconds", .histogram(bucketsSeconds: latencyBucketsSeconds),
                    help: "Seconds from a delivery read from the socket to its COMMIT (the acknowledgement follows at once)."),
    ]

    static let detection: [FleetMetric] = [
        FleetMetric("cellfleet_detection_lag_seconds", .histogram(bucketsSeconds: latencyBucketsSeconds),
                    help: "Seconds live detection took inside a group commit: samples are detected in the transaction that commits them, so this is how much later they are committed and their alerts raised."),
        FleetMetric("cellfleet_detection_alerts_raised_total", .counter, help: "Alerts raised by live detection."),
        FleetMetric("cellfleet_detection_alerts_already_stored_total", .counter, help: "Alerts a replay derived again and found stored (not raised twice)."),
        FleetMetric("cellfleet_detection_cycles_stored_total", .counter, help: "Cycle summaries written by live detection."),
        FleetMetric("cellfleet_detection_checkpoints_written_total", .counter, help: "Detector checkpoints written."),
        FleetMetric("cellfleet_detection_samples_replayed_total", .counter, help: "Stored samples replayed to catch a test's detection up (take-over, restart)."),
    ]

    static let fleet: [FleetMetric] = [
        FleetMetric("cellfleet_agents_connected", .gauge, help: "Agents heard by this coordinator within the last 5 seconds (they heartbeat every second)."),
        FleetMetric("cellfleet_agent_connected", .gauge, labels: ["agent"],
                    help: "1 while the agent was heard within the last 5 seconds, 0 after; one series per agent this coordinator has heard since start."),
        FleetMetric("cellfleet_agent_spool_deliveries", .gauge, labels: ["agent"],
                    help: "Deliveries in the agent's spool not yet acknowledged, as its last heartbeat reported."),
        FleetMetric("cellfleet_agent_spool_bytes", .gauge, labels: ["agent"], help: "Bytes the agent's spool takes on disk, as its last heartbeat reported."),
        FleetMetric("cellfleet_agent_ack_lag_seconds", .gauge, labels: ["agent"],
                    help: "Seconds since the agent's oldest unacknowledged delivery was appended, as its last heartbeat reported (0 when nothing waits)."),
        FleetMetric("cellfleet_agent_spool_disk_full", .gauge, labels: ["agent"],
                    help: "1 while the agent's last heartbeat reported its spool's file system full (it takes no samples until there is room, and still delivers), 0 otherwise."),
    ]

    static let alerting: [FleetMetric] = [
        FleetMetric("cellfleet_alerts", .gauge, labels: ["rule", "severity", "state"],
                    help: "Alerts in the database by rule, severity and state (firing, acknowledged, resolved), read every few seconds."),
        FleetMetric("cellfleet_alert_deliveries_pending", .gauge, labels: ["receiver", "kind"],
                    help: "Alert deliveries in the outbox not yet delivered to the receiver (due, or waiting for a retry)."),
        FleetMetric("cellfleet_alert_deliveries_delivered_total", .counter, labels: ["receiver", "kind"], help: "Alert deliveries a receiver accepted."),
        FleetMetric("cellfleet_alert_delivery_failed_attempts_total", .counter, labels: ["receiver", "kind", "reason"],
                    help: "Failed delivery attempts by reason: transient (retried with back-off), rejected (the receiver refused it; kept and tried again later), repost (an Alertmanager re-post failed)."),
        FleetMetric("cellfleet_alertmanager_reposts_total", .counter, labels: ["receiver", "kind"],
                    help: "Firing alerts re-posted to Alertmanager so they do not expire there."),
    ]

    static let authentication: [FleetMetric] = [
        FleetMetric("cellfleet_auth_handshakes_refused_total", .counter, help: "Handshakes refused: not CURVE in our domain, or a key not in the allow directory."),
        FleetMetric("cellfleet_auth_connections_cut_total", .counter, help: "Agent connections cut by the coordinator (a key revoked while connected, or a message it must refuse)."),
    ]
}
