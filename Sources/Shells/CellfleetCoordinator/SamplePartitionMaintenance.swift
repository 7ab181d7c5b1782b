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

/// Keeps `samples`' daily partitions (migrations 0002 and 0010): creates the coming days' and
/// those of days with rows waiting in the default partition, and drops days past retention.
///
/// Each day is its own transaction, at most `maximumDaysPerPass` per pass, each waiting at most
/// `lockTimeoutSeconds` for a lock: a delivery whose times span thousands of days, or a year of
/// back-filled history, costs many short passes instead of one that stops every agent's ingest
/// (migration 0010 says why a day's creation no longer blocks COPY). Several coordinators may run
/// it: an advisory lock makes one do each day, and the others skip the pass.
public struct SamplePartitionMaintenance: Sendable {
    public var policy: SamplePartitionPolicy
    public var maximumDaysPerPass = 64
    public var lockTimeoutSeconds = 2.0
    /// How soon the next pass runs when this one left work undone.
    public var backlogIntervalSeconds = 1.0

    public init(policy: SamplePartitionPolicy) {
        self.policy = policy
    }

    /// What one pass did, and whether work is left for the next.
    public struct Pass: Sendable, Equatable {
        public var changes: [SamplePartitionChange] = []
        public var workLeft = false
    }

    /// One pass: up to `maximumDaysPerPass` days created or dropped, each in a transaction of its
    /// own, then rows past retention deleted from the default partition.
    public func runOnce(client: PostgresClient, logger: Logger) async throws -> Pass {
        let retain = policy.retainSamplesDays
        var work: [(change: String, day: String)] = []
        let rows = try await client.query(
            "SELECT change, to_char(day_utc, 'YYYY-MM-DD') FROM cellfleet_sample_partition_work(\(policy.daysAhead)::integer, \(retain)::integer)",
            logger: logger)
        for try await (change, day) in rows.decode((String, String).self) { work.append((change, day)) }
        var pass = Pass(workLeft: work.count > maximumDaysPerPass)
        let timeout = "\(Int(lockTimeoutSeconds * 1000))ms"
        for item in work.prefix(maximumDaysPerPass) {
            let function = item.change == "drop" ? "cellfleet_drop_sample_partition" : "cellfleet_attach_sample_partition"
            let outcome: Int64? = try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT set_config('lock_timeout', \(timeout), true)", logger: logger).collect()
                let claimed = try await connection.query("SELECT pg_try_advisory_xact_lock(7341002)", logger: logger)
                var mine = false
                for try await granted in claimed.decode(Bool.self) { mine = granted }
                guard mine else { return nil }
                let result = try await connection.query("SELECT \(unescaped: function)(\(item.day)::date)", logger: logger)
                var value: Int64 = -1
                for try await rows in result.decode(Int64.self) { value = rows }
                return value
            }
            guard let outcome else {
                // Another coordinator maintains the partitions right now; it will see this through.
                pass.workLeft = true
                return pass
            }
            if outcome >= 0 {
                let name = "samples_p" + item.day.replacingOccurrences(of: "-", with: "")
                pass.changes.append(SamplePartitionChange(action: item.change == "drop" ? "dropped" : "created", partition: name, rows: outcome))
            }
        }
        if let retain {
            let deleted = try await client.query("""
                WITH gone AS (
                    DELETE FROM samples_default
                    WHERE unix_time_s < (((now() AT TIME ZONE 'UTC')::date - \(retain)::integer) - date '1970-01-01')::double precision * 86400
                    RETURNING 1)
                SELECT count(*) FROM gone
                """, logger: logger)
            for try await count in deleted.decode(Int64.self) where count > 0 {
                pass.changes.append(SamplePartitionChange(action: "deleted", partition: "samples_default", rows: count))
            }
            // Compacted samples of those days go with them, a chunk at a time (migration 0011).
            let chunks = try await client.query("""
                WITH gone AS (
                    DELETE FROM sample_chunks WHERE day_utc < (now() AT TIME ZONE 'UTC')::date - \(retain)::integer
                    RETURNING row_count)
                SELECT coalesce(sum(row_count), 0)::bigint FROM gone
                """, logger: logger)
            for try await count in chunks.decode(Int64.self) where count > 0 {
                pass.changes.append(SamplePartitionChange(action: "deleted", partition: "sample_chunks", rows: count))
            }
        }
        return pass
    }

    /// Runs a pass now and then every interval until cancelled, sooner while work is left. A
    /// failed pass (a lock not granted in time, the schema not migrated yet) is logged and
    /// retried soon; ingest does not depend on it while partitions exist days ahead.
    public func run(client: PostgresClient, logger: Logger) async {
        var failures = 0
        while !Task.isCancelled {
            var delay = policy.intervalSeconds
            do {
                let pass = try await runOnce(client: client, logger: logger)
                for change in pass.changes {
                    logger.notice("sample partition maintenance", metadata: [
                        "action": "\(change.action)", "partition": "\(change.partition)", "rows": "\(change.rows)"])
                }
                if pass.workLeft { delay = min(delay, backlogIntervalSeconds) }
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
