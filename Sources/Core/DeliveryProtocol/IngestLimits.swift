/// How much the coordinator holds for agents before it pushes back. Everything it holds between
/// reading a delivery and answering it is bounded, so no agent — however it misbehaves — can
/// grow the coordinator's memory without limit, and one agent cannot take the others' share.
public struct IngestLimits: Sendable, Equatable {
    /// Deliveries one agent may have unanswered (the credit announced in `Welcome`). One more is
    /// refused with `CREDIT_EXCEEDED`.
    public var credit: Int
    /// Samples and bytes (as received) one agent may have unanswered. A delivery that would go
    /// beyond them is refused with `CREDIT_EXCEEDED` — unless the agent has nothing else
    /// unanswered, so any batch the validator admits can always get through on its own.
    public var agentSamples: Int
    public var agentBytes: Int
    /// Samples and bytes held for all agents together. At these the coordinator stops reading
    /// its socket (nothing is refused): libzmq's high-water marks and TCP then push back on
    /// every agent until commits make room.
    public var totalSamples: Int
    public var totalBytes: Int
    /// Rows gathered into one transaction at most (a single larger delivery goes alone).
    public var maximumRowsPerGroup: Int

    public init(
        credit: Int = 64,
        agentSamples: Int = 1_000_000, agentBytes: Int = 64 << 20,
        totalSamples: Int = 4_000_000, totalBytes: Int = 256 << 20,
        maximumRowsPerGroup: Int = 20_000
    ) {
        self.credit = max(1, credit)
        self.agentSamples = agentSamples
        self.agentBytes = agentBytes
        self.totalSamples = totalSamples
        self.totalBytes = totalBytes
        self.maximumRowsPerGroup = maximumRowsPerGroup
    }
}
