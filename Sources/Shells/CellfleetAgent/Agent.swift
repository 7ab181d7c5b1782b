import Foundation
import Logging
import ServiceLifecycle
import ZeroMQ

/// The agent: takes samples from its channels' sources, spools them durably, and streams them to
/// the coordinator over a DEALER socket with a credit window. A delivery leaves the spool only
/// when the coordinator acknowledges it (after its COMMIT); anything unacknowledged after a
/// reconnect, a timeout or a restart is sent again, and the coordinator de-duplicates.
///
/// The delivery rules are `AgentDeliveryStateMachine` (DeliveryProtocol); this service only
/// performs what they decide, on the spool, the channels and the link.
///
/// As a `Service`, a graceful shutdown (SIGTERM, SIGINT) stops production and leaves what is not
/// yet acknowledged in the spool for the next run; `summary` holds the totals afterwards.
public actor Agent: Service {
    public struct Status: Sendable {
        public var samplesProduced: Int
        public var samplesAcked: Int
        public var spoolBytes: Int
        public var unackedDeliveries: Int
        public var lagSeconds: Double
        public var connected: Bool
        /// Not taking samples: the spool is at its capacity, or its file system is full.
        public var backPressured: Bool
        /// The spool's file system is full (production waits for room; delivery goes on).
        public var diskFull = false
        /// Followed files: how many, how many read to their end or quarantined, and their bytes
        /// in all and read so far (what a progress bar estimates the time left from).
        public var files = 0
        public var filesDone = 0
        public var fileBytes: Int64 = 0
        public var fileBytesRead: Int64 = 0

        static let beforeStart = Status(
            samplesProduced: 0, samplesAcked: 0, spoolBytes: 0, unackedDeliveries: 0, lagSeconds: 0, connected: false,
            backPressured: false)
    }

    private enum State {
        /// Not run yet; a stop may already be asked for.
        case idle(stopRequested: Bool)
        case running(AgentRuntime)
        case finished(AgentSummary?, Status)
    }

    private let configuration: AgentConfiguration
    private let logger: Logger
    private var state = State.idle(stopRequested: false)

    public init(configuration: AgentConfiguration, logger: Logger = Logger(label: "cellfleet.agent")) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "agent"] = "\(configuration.agentID)"
        self.logger = logger
    }

    /// The service: runs until the configured production is delivered, or a graceful shutdown.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            _ = try await runUntilFinished()
        } onGracefulShutdown: {
            Task { await self.requestStop() }
        }
    }

    /// Runs until the configured duration has passed and every spooled delivery is acknowledged,
    /// or until `requestStop()`. Returns the totals, counted across restarts on the same spool.
    /// An agent runs once.
    @discardableResult
    public func runUntilFinished() async throws -> AgentSummary {
        guard case .idle(let stopRequested) = state else {
            throw AgentConfiguration.Invalid(description: "this agent has already run; make a new one")
        }
        try configuration.validate()
        let runtime = try AgentRuntime(configuration: configuration, logger: logger) { [weak self] message in
            await self?.receive(message)
        }
        if stopRequested { runtime.requestStop() }
        state = .running(runtime)
        let tick: Duration = configuration.unpaced ? .milliseconds(1) : .milliseconds(Int64(configuration.flushIntervalSeconds * 1000))
        do {
            while try runtime.round() == .carryOn {
                // A file read part-way (a backlog, an import) goes on at once, not a flush
                // interval later: 5000 records a round every 100 ms would cap it at 50 000/s.
                try await Task.sleep(for: runtime.hasReadsInProgress ? .milliseconds(1) : tick)
            }
            let summary = try runtime.finish()
            state = .finished(summary, runtime.status())
            return summary
        } catch {
            runtime.close()
            state = .finished(nil, runtime.status())
            throw error
        }
    }

    /// Asks the agent to stop producing and exit without waiting for outstanding
    /// acknowledgements (they stay in the spool for the next run).
    public func requestStop() {
        switch state {
        case .idle: state = .idle(stopRequested: true)
        case .running(let runtime): runtime.requestStop()
        case .finished: break
        }
    }

    public func status() -> Status {
        switch state {
        case .idle: .beforeStart
        case .running(let runtime): runtime.status()
        case .finished(_, let status): status
        }
    }

    /// The totals of a run that finished (nil before, and after a run that failed).
    public var summary: AgentSummary? {
        if case .finished(let summary, _) = state { return summary }
        return nil
    }

    private func receive(_ message: ZMQMessage) {
        // What arrives after the run (a link closing) is not for anyone.
        guard case .running(let runtime) = state else { return }
        runtime.receive(message)
    }
}
