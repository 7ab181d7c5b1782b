/// The numbers of the agent's delivery rules (docs/delivery.md). The defaults are the agent's
/// behaviour since 0.1.0; a test or a lab with a slow database may stretch the timeout.
public struct AgentDeliveryRules: Sendable, Equatable {
    /// The wire protocol versions the agent offers in hello; a Welcome outside them is fatal.
    public var supportedProtocolVersions: ClosedRange<UInt32>
    /// With deliveries in flight and none acknowledged for this long (and nothing left queued
    /// in the socket), the coordinator or the connection took them with it: hello again and
    /// re-send from the oldest unacknowledged.
    public var acknowledgementTimeout: Duration = .seconds(5)
    /// Hello is repeated this often until a Welcome arrives.
    public var helloInterval: Duration = .seconds(1)
    /// An application heartbeat goes out this often, welcomed or not.
    public var heartbeatInterval: Duration = .seconds(1)
    /// INTERNAL: the coordinator could not commit; it usually can again soon.
    public var internalErrorBackOff: Duration = .seconds(1)
    /// Any other refusal of a delivery: slow retries, so an operator can fix the cause (the
    /// coordinator's configuration, say) while nothing is dropped.
    public var refusalBackOff: Duration = .seconds(5)
    /// After the coordinator refused this agent's CURVE key, the link is reopened no sooner than
    /// this after it was opened; the wait doubles per refusal up to `maximumRelinkDelay` (each
    /// attempt is a warning in the coordinator's log) and is reset by a Welcome.
    public var initialRelinkDelay: Duration = .seconds(2)
    public var maximumRelinkDelay: Duration = .seconds(10)
    /// A Welcome's credit is taken within 1…this, whatever the coordinator says.
    public var maximumCredit = 10_000

    public init(supportedProtocolVersions: ClosedRange<UInt32>) {
        self.supportedProtocolVersions = supportedProtocolVersions
    }
}
