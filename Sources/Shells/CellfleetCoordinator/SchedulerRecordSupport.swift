import Foundation
import Logging
import PostgresNIO

/// A person's scheduler command refused, in a sentence that names what is wrong (`cellfleet
/// study submit`, `cells add`, `channels load`, …). Nothing was written.
public struct SchedulerRecordError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// What the people's scheduler commands share with the coordinators' scheduler round.
public enum SchedulerRecords {
    /// The advisory lock a scheduling round holds for its transaction (migration 0006). A person's
    /// change to scheduler state takes it too, so it never interleaves with a round that read the
    /// rows before the change and writes decisions after it; the round that finds it taken
    /// waits for its next tick.
    public static let roundLockKey: Int64 = 1_667_591_214

    /// How long a person's command waits for a round to finish before it gives up (a round is
    /// one short transaction; a longer wait means something is stuck, and a person should know).
    static let roundLockWaitSeconds = 15

    /// Takes the round's lock for the rest of the transaction, or fails with a sentence.
    static func waitForRound(_ connection: PostgresConnection, logger: Logger) async throws {
        _ = try await connection.query("SELECT set_config('lock_timeout', \("\(roundLockWaitSeconds)s"), true)", logger: logger).collect()
        do {
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(roundLockKey))", logger: logger).collect()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55P03" {
            throw SchedulerRecordError("a scheduling round has held the scheduler's lock for more than \(roundLockWaitSeconds) s; try again")
        }
        _ = try await connection.query("SELECT set_config('lock_timeout', '0', true)", logger: logger).collect()
    }

    /// A timestamptz column as the contract writes instants: ISO 8601, UTC, microseconds.
    static func instant(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    }

    /// `AGENT/CHANNEL`, or nil when either half is missing.
    static func channel(_ agentID: String?, _ channelID: String?) -> String? {
        guard let agentID, let channelID else { return nil }
        return "\(agentID)/\(channelID)"
    }
}
