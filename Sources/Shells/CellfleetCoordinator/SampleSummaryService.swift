import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps `sample_summary_points` (migration 0008) a few seconds behind ingest, off the commit
/// path: every `intervalSeconds` it finds the tests with a full bucket or a finished tail not yet
/// summarised and has `cellfleet_summarise_test` do them, a batch of tests per transaction. The
/// progress rows are locked SKIP LOCKED, so several coordinators share the work and a crash
/// mid-batch leaves it to the next round, with nothing summarised twice.
public struct SampleSummaryService: Service {
    public struct Settings: Sendable {
        public var intervalSeconds = 2.0
        /// Tests per transaction.
        public var batchTests = 100
        /// Samples one test contributes to one transaction (a back-log is worked off over rounds).
        public var budgetSamples: Int64 = 1 << 18

        public init() {}
    }

    let client: PostgresClient
    let settings: Settings
    let logger: Logger
    let ready: @Sendable () async -> Void

    public init(client: PostgresClient, settings: Settings = .init(), logger: Logger, ready: @escaping @Sendable () async -> Void) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            var warned = false
            while !Task.isCancelled {
                var busy = false
                do {
                    busy = try await round() >= settings.batchTests
                    warned = false
                } catch is CancellationError {
                    return
                } catch {
                    if !warned { logger.warning("sample summary round failed; retrying", metadata: ["error": "\(String(reflecting: error))"]) }
                    warned = true
                }
                // A full batch means more is waiting: go on at once.
                if !busy { try? await Task.sleep(for: .seconds(settings.intervalSeconds)) }
            }
        }
    }

    /// One batch; returns how many tests it looked at.
    @discardableResult
    public func round() async throws -> Int {
        let batch = settings.batchTests, budget = settings.budgetSamples
        return try await client.withTransaction(logger: logger) { connection in
            let due = try await connection.query("""
                SELECT p.test_id FROM test_progress p
                JOIN tests t ON t.test_id = p.test_id
                LEFT JOIN sample_summary_progress s ON s.test_id = p.test_id
                WHERE p.committed_seq + 1 >= COALESCE(s.level6_next_seq, 0) + 64
                   OR (t.ended_at IS NOT NULL AND t.last_seq IS NOT NULL AND p.committed_seq >= t.last_seq
                       AND (COALESCE(s.level6_next_seq, 0) <= p.committed_seq OR s.level12_next_seq < s.level6_next_seq))
                LIMIT \(batch)
                """, logger: logger)
            var tests: [UUID] = []
            for try await id in due.decode(UUID.self) { tests.append(id) }
            guard !tests.isEmpty else { return 0 }
            _ = try await connection.query("""
                SELECT sum(cellfleet_summarise_test(id, \(budget))) FROM unnest(\(tests)::uuid[]) AS id
                """, logger: logger).collect()
            return tests.count
        }
    }
}
