import Foundation
import Logging
import PostgresNIO

/// When samples are compacted (docs/compaction.md).
public struct SampleCompactionPolicy: Sendable, Equatable {
    /// A UTC day is compacted once its end is at least this old (issue 16: one day by default).
    public var olderThanSeconds: Double = 86_400
    public var intervalSeconds: Double = 3600
    /// The first pass waits this long after start: a coordinator starting serves its agents
    /// first, and a backlog of old days is no reason to compete with them for the database.
    public var firstPassDelaySeconds: Double = 600

    public init() {}
}

/// Compacts old samples into `sample_chunks`, one test's day in one transaction, a capped number
/// per pass. Several coordinators may run it at once: `DELETE … RETURNING` takes each row once,
/// so a second compactor of the same day finds nothing left to move and writes no chunk.
public struct SampleCompactionPass: Sendable {
    public var policy: SampleCompactionPolicy
    public var maximumTestDaysPerPass = 64
    public var lockTimeoutSeconds = 2.0

    public init(policy: SampleCompactionPolicy) {
        self.policy = policy
    }

    public struct Pass: Sendable, Equatable {
        public var testDays = 0
        public var compacted = SampleChunkStore.Compacted()
        public var workLeft = false
    }

    /// The latest Unix second a compacted sample may have at `now`: the start of the UTC day
    /// holding `now − olderThan`, so whole days only.
    public func cutoffUnixSeconds(now: Date) -> Double {
        ((now.timeIntervalSince1970 - policy.olderThanSeconds) / 86_400).rounded(.down) * 86_400
    }

    public func runOnce(client: PostgresClient, logger: Logger, now: Date = Date()) async throws -> Pass {
        let cutoff = cutoffUnixSeconds(now: now)
        var work: [(test: UUID, day: Int64)] = []
        let rows = try await client.query("""
            SELECT DISTINCT test_id, floor(unix_time_s / 86400)::bigint
            FROM samples WHERE unix_time_s < \(cutoff)
            LIMIT \(maximumTestDaysPerPass + 1)
            """, logger: logger)
        for try await (test, day) in rows.decode((UUID, Int64).self) { work.append((test, day)) }
        var pass = Pass(workLeft: work.count > maximumTestDaysPerPass)
        let timeout = "\(Int(lockTimeoutSeconds * 1000))ms"
        for item in work.prefix(maximumTestDaysPerPass) {
            let compacted = try await client.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT set_config('lock_timeout', \(timeout), true)", logger: logger).collect()
                return try await SampleChunkStore.compact(test: item.test, day: item.day, connection: connection, logger: logger)
            }
            pass.testDays += 1
            pass.compacted.add(compacted)
        }
        return pass
    }

    /// Passes until nothing old is left (the `compact` command, and a coordinator catching up),
    /// or until a pass that found work moved nothing: rows that partition maintenance is moving
    /// between partitions right now are skipped by this pass and taken by a later one.
    public func runUntilDone(client: PostgresClient, logger: Logger, now: Date = Date()) async throws -> Pass {
        var total = Pass()
        while true {
            let pass = try await runOnce(client: client, logger: logger, now: now)
            total.testDays += pass.testDays
            total.compacted.add(pass.compacted)
            if pass.testDays == 0 || pass.compacted.rows == 0 { return total }
        }
    }

    /// Runs passes until cancelled: the first after `firstPassDelaySeconds`, then one every
    /// interval, back to back while a pass leaves work. A failed pass is logged and retried.
    public func run(client: PostgresClient, logger: Logger) async {
        var delay = policy.firstPassDelaySeconds
        var failures = 0
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(delay)) } catch { return }
            delay = policy.intervalSeconds
            do {
                let pass = try await runOnce(client: client, logger: logger)
                if pass.compacted.rows > 0 {
                    logger.notice("compacted old samples", metadata: [
                        "test_days": "\(pass.testDays)", "samples": "\(pass.compacted.rows)", "chunks": "\(pass.compacted.chunks)",
                        "bytes": "\(pass.compacted.bytes)"])
                }
                if pass.workLeft && pass.compacted.rows > 0 { delay = 1 }
                failures = 0
            } catch {
                failures += 1
                logger.log(level: failures <= 3 ? .debug : .error, "sample compaction failed; retrying",
                           metadata: ["error": "\(String(reflecting: error))"])
                delay = min(delay, 10)
            }
        }
    }
}
