import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The coordinator's scheduler (docs/scheduling.md §4): a `SchedulerRound` as soon as something
/// it acts on changed (a test ended, a request was queued: LISTEN cellfleet_schedule) and every
/// `intervalSeconds` besides — the scheduling delay of the contract: a free compatible channel
/// gets its next request within one interval plus the agent's round trip, usually far sooner. Every coordinator runs it; the
/// round's advisory lock lets one decide at a time, and a round that finds it taken does nothing,
/// so two coordinators on one database never assign a channel twice. A failed round changes
/// nothing (its transaction rolls back) and the next one starts from the rows again.
public struct SchedulerService: Service {
    public struct Settings: Sendable {
        /// How often a round runs.
        public var intervalSeconds: Double = 2
        /// A real channel's load request expires after this (the request goes back to the queue).
        public var loadTimeoutSeconds: Double = 24 * 3600
        /// A simulated channel's start_test is confirmed by its TestStart within this, or released.
        public var startTimeoutSeconds: Double = 300
        /// An agent unheard for this long has its channels offline (assigned nothing).
        public var offlineAfterSeconds: Double = 60
        /// A request whose start_test agents refused this often is withdrawn, not retried for ever.
        public var maximumRefusals = 3
        /// Rounds woken by changes are at least this far apart.
        public var minimumSpacingSeconds = 0.2

        public init() {}
    }

    let client: PostgresClient
    let settings: Settings
    let logger: Logger
    let ready: @Sendable () async -> Void

    public init(client: PostgresClient, settings: Settings, logger: Logger, ready: @escaping @Sendable () async -> Void) {
        self.client = client
        self.settings = settings
        self.logger = logger
        self.ready = ready
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await ready()
            // Rounds when something changed (LISTEN) and every interval besides (a notification
            // is lost with its connection); wake-ups that come during a round make one more.
            let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            await withDiscardingTaskGroup { group in
                group.addTask { await listen(waking: wake) }
                group.addTask { await Coordinator.tick(wake, everySeconds: settings.intervalSeconds) }
                group.addTask {
                    for await _ in wakes {
                        do {
                            try await round()
                        } catch {
                            if Task.isCancelled { return }
                            logger.warning("a scheduling round failed and changed nothing; the next one tries again", metadata: [
                                "error": "\(String(reflecting: error))"])
                        }
                        // At most a round every `minimumSpacingSeconds`, however busy the fleet.
                        try? await Task.sleep(for: .milliseconds(Int64(settings.minimumSpacingSeconds * 1000)))
                    }
                    // Cancelled: the ticker stops once the stream is finished.
                    wake.finish()
                }
            }
        }
    }

    /// LISTEN cellfleet_schedule (migration 0006 §8); reconnects after a lost connection.
    private func listen(waking wake: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "cellfleet_schedule") { notifications in
                        wake.yield()
                        for try await _ in notifications { wake.yield() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("the scheduling notification listener stopped; listening again", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One round; nil if another coordinator's round was running.
    @discardableResult
    public func round() async throws -> SchedulerRoundReport? {
        let settings = self.settings, logger = self.logger
        return try await client.withTransaction(logger: logger) { connection in
            var round = SchedulerRound(connection: connection, settings: settings, logger: logger)
            return try await round.run() ? round.report : nil
        }
    }
}
