import DeliveryProtocol
import Foundation
import WireProtocol

public struct CoordinatorConfiguration: Sendable {
    /// ZeroMQ endpoint the ROUTER binds, e.g. `tcp://0.0.0.0:7341`.
    public var listenEndpoint: String
    /// Where the database is, for sentences about it and a probe of why it cannot be reached
    /// (`DatabaseProblem`); nil when the caller made the client some other way.
    public var database: DatabaseLocation?
    public var coordinatorID: String
    /// Deliveries an agent may have unacknowledged at once.
    public var credit: UInt32 = 64
    /// Rows gathered into one transaction at most (group commit).
    public var maximumRowsPerTransaction = 20_000
    /// Samples and bytes (as received) held unanswered for one agent; beyond them its deliveries
    /// are refused with CREDIT_EXCEEDED (`IngestLimits`).
    public var pendingSamplesPerAgent = 1_000_000
    public var pendingBytesPerAgent = 64 << 20
    /// Samples and bytes held unanswered for all agents; at these the coordinator stops reading
    /// its socket until commits make room.
    public var pendingSamplesInTotal = 4_000_000
    public var pendingBytesInTotal = 256 << 20
    /// Messages read from the socket and not yet handled, at most (`ZMQInbox`).
    public var inboundMessages = 1024
    public var inboundBytes = 32 << 20
    /// libzmq's receive high-water mark, per agent connection, in messages: what it buffers for
    /// one agent while the coordinator is not reading (then TCP pushes back). libzmq counts
    /// messages, not bytes, so this is kept small: at 1000 a flood of 3 MB batches was buffered
    /// whole (640 MB) while the writer was busy. An agent with more in flight is not refused;
    /// the rest waits in TCP and its own send queue.
    public var receiveHighWaterMark: Int32 = 16
    /// Agent registrations (hello → welcome) running at once; one agent's never overlap.
    public var maximumConcurrentRegistrations = 4
    /// A group commit that has not finished after this long is abandoned (not acknowledged).
    public var commitTimeoutSeconds: Double = 20
    public var insecure = false
    /// The coordinator's own CURVE key pair (`NAME.key_secret`); required unless `insecure`.
    public var serverKeyFile: URL?
    /// Directory of the allowed agents' public keys (`NAME.key`); required unless `insecure`.
    public var allowDirectory: URL?
    /// The wire protocol versions this coordinator accepts (negotiated in hello).
    public var supportedProtocolVersions: ClosedRange<UInt32> = WireProtocol.supportedVersions
    public var schemasDirectory: String?
    /// How soon commands (the safety stop) are sent again and when an unconfirmed one is told.
    public var commandDispatch = CommandDispatchRules()
    /// How often the open commands of the connected agents are looked for.
    public var commandPollSeconds: Double = 0.5
    /// How often the agents heard from are written as present (`agents.last_seen`): one UPDATE
    /// for all of them per period rather than one per message. F2's limit must be well above it.
    public var presenceWriteSeconds: Double = 5

    public init(listenEndpoint: String, coordinatorID: String = ProcessInfo.processInfo.hostName) {
        self.listenEndpoint = listenEndpoint
        self.coordinatorID = coordinatorID
    }
}

extension CoordinatorConfiguration {
    /// The group-commit queue's limits.
    public var ingestLimits: IngestLimits {
        IngestLimits(
            credit: Int(credit), agentSamples: pendingSamplesPerAgent, agentBytes: pendingBytesPerAgent,
            totalSamples: pendingSamplesInTotal, totalBytes: pendingBytesInTotal, maximumRowsPerGroup: maximumRowsPerTransaction)
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// CURVE is on unless explicitly turned off: without keys the coordinator does not start.
    public func validateAuthentication() throws {
        if insecure { return }
        guard serverKeyFile != nil, allowDirectory != nil else {
            throw Invalid(description: "agents are authenticated by default: give --key FILE.key_secret (the coordinator's key pair) and --allow DIR (the allowed agents' public keys), or --insecure to accept anyone")
        }
    }
}
