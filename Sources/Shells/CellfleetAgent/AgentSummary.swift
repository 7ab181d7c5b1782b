import Foundation

/// The one JSON line an agent prints on stdout when it has finished: labs script against these
/// field names.
public struct AgentSummary: Codable, Sendable, Equatable {
    public var agentID: String
    public var samplesProduced: Int
    public var samplesAcked: Int
    public var tests: Int
    public var deliveriesResent: Int
    public var spoolFullEpisodes: Int
    /// Times the spool's file system was found full and production stopped until it had room.
    public var diskFullEpisodes = 0
    /// What is still in the spool unacknowledged when the agent stops (a SIGTERM before the
    /// coordinator acknowledged everything): it is sent on the next start on this spool.
    public var deliveriesUnacked = 0
    public var samplesUnacked = 0
    public var errorsFromCoordinator: Int
    public var durationSeconds: Double
    /// Followed files read to their end, and those quarantined now (with why).
    public var filesRead = 0
    public var filesQuarantined = 0
    public var quarantined: [QuarantinedFile] = []
    /// Deliveries the coordinator refused for good, set aside in the spool's `rejected/` (over
    /// the spool's life), and their samples (not counted in `samples_acked`).
    public var deliveriesRejected = 0
    public var samplesRejected = 0
    /// Deliveries sent declaring samples before them lost (this run).
    public var lossesDeclared = 0
    /// Damaged spool records skipped when this run opened the spool.
    public var spoolDamagedRecords = 0

    public struct QuarantinedFile: Codable, Sendable, Equatable {
        public var file: String
        public var reason: String
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id"
        case samplesProduced = "samples_produced"
        case samplesAcked = "samples_acked"
        case tests
        case deliveriesResent = "deliveries_resent"
        case spoolFullEpisodes = "spool_full_episodes"
        case diskFullEpisodes = "disk_full_episodes"
        case deliveriesUnacked = "deliveries_unacked"
        case samplesUnacked = "samples_unacked"
        case errorsFromCoordinator = "errors_from_coordinator"
        case durationSeconds = "duration_seconds"
        case filesRead = "files_read"
        case filesQuarantined = "files_quarantined"
        case quarantined
        case deliveriesRejected = "deliveries_rejected"
        case samplesRejected = "samples_rejected"
        case lossesDeclared = "losses_declared"
        case spoolDamagedRecords = "spool_damaged_records"
    }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
