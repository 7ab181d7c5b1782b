import Foundation

public struct CoordinatorConfiguration: Sendable {
    /// ZeroMQ endpoint the ROUTER binds, e.g. `tcp://0.0.0.0:7341`.
    public var listenEndpoint: String
    public var coordinatorID: String
    /// Deliveries an agent may have unacknowledged at once.
    public var credit: UInt32 = 64
    /// Rows gathered into one transaction at most (group commit).
    public var maximumRowsPerTransaction = 20_000
    public var insecure = false
    public var schemasDirectory: String?

    public init(listenEndpoint: String, coordinatorID: String = ProcessInfo.processInfo.hostName) {
        self.listenEndpoint = listenEndpoint
        self.coordinatorID = coordinatorID
    }
}
