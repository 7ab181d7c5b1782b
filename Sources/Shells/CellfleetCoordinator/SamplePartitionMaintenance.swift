import Foundation
import Logging
import PostgresNIO

/// How `samples` is partitioned and how long raw samples are kept.
public struct SamplePartitionPolicy: Sendable, Equatable {
    /// Daily partitions are created this many days ahead, so ingest never waits for one.
    public var daysAhead = 3
    /// Raw samples older than this many whole days (UTC) are dropped, a partition at a time;
    /// nil keeps them forever. Tests, progress, per-cycle summaries and alerts are never dropped.
    public var retainSamplesDays: Int?
    public var intervalSeconds: Double = 3600

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public func validate() throws {
        guard (0...366).contains(daysAhead) else { throw Invalid(description: "partitions can be created 0–366 days ahead") }
        if let retainSamplesDays, retainSamplesDays < 1 {
            throw Invalid(description: "the raw-sample retention must be at least 1 day (or unset to keep samples forever)")
        }
        guard intervalSeconds > 0 else { throw Invalid(description: "the maintenance interval must be positive") }
    }
}

/// What one maintenance pass did to a partition.
public struct SamplePartitionChange: Sendable, Equatable, CustomStringConvertible {
    public var action: String
    public var partition: String
    public var rows: Int64

    public var description: String { "\(action) \(partition) (\(rows) rows)" }
}

/// Runs the partition maintenance that migration 0002 defines in SQL
/// (`cellfleet_maintain_sample_partitions`): the database does the work in one transaction, so
/// several coordinators may run it and a crash leaves nothing half done.
public struct SamplePartitionMaintenance: Sendable {
    public var policy: SamplePartitionPolicy

    public init(policy: SamplePartitionPolicy) {
        self.policy = policy
    }

    /// One pass: create the coming days' partitions, move rows that fell into the default
    /// partition to their day, drop raw samples past retention.
    public func runOnce(client: PostgresClient, logger: Logger) async throws -> [SamplePartitionChange] {
        let retain = policy.retainSamplesDays
        let rows = try await client.query(
            "SELECT change, partition_name, row_count FROM cellfleet_maintain_sample_partitions(\(policy.daysAhead)::integer, \(retain)::integer)",
            logger: logger)
        var changes: [SamplePartitionChange] = []
        for try await (action, partition, moved) in rows.decode((String, String, Int64).self) {
            changes.append(SamplePartitionChange(action: action, partition: partition, rows: moved))
        }
        return changes
    }

    /// Runs a pass now and then every interval until cancelled. A failed pass is logged and
    /// retried soon; ingest does not depend on it while partitions exist days ahead.
    public func run(client: PostgresClient, logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            var delay = policy.intervalSeconds
            do {
                let changes = try await runOnce(client: client, logger: logger)
                for change in changes {
                    logger.notice("sample partition maintenance", metadata: [
                        "action": "\(change.action)", "partition": "\(change.partition)", "rows": "\(change.rows)"])
                }
                failures = 0
            } catch {
                failures += 1
                // The first passes may run before the coordinator has migrated the schema.
                let level: Logger.Level = failures <= 3 ? .debug : .error
                logger.log(level: level, "sample partition maintenance failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
                delay = min(delay, 10)
            }
            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
        }
    }
}
