import DeliveryProtocol
import Testing

/// Version skew: the protocol version is negotiated in hello; adjacent versions interoperate and
/// a peer with no version in common is refused with a message that says what to upgrade. (The
/// same through real sockets: `IntegrationTests.AuthProtocolVersionTests`.)
struct ProtocolNegotiationTests {
    @Test func negotiationPicksTheNewestCommonVersion() {
        #expect(ProtocolNegotiation.negotiate(agentMinimum: 1, agentMaximum: 1, coordinator: 1...1) == .agreed(version: 1))
        // A newer coordinator (1…2) with an older agent, and the other way round.
        #expect(ProtocolNegotiation.negotiate(agentMinimum: 1, agentMaximum: 1, coordinator: 1...2) == .agreed(version: 1))
        #expect(ProtocolNegotiation.negotiate(agentMinimum: 1, agentMaximum: 2, coordinator: 1...1) == .agreed(version: 1))
        #expect(ProtocolNegotiation.negotiate(agentMinimum: 2, agentMaximum: 3, coordinator: 1...2) == .agreed(version: 2))
        // An agent from before the range field.
        #expect(ProtocolNegotiation.negotiate(agentMinimum: 0, agentMaximum: 0, coordinator: 1...2) == .agreed(version: 1))

        guard case .refused(let tooNew) = ProtocolNegotiation.negotiate(agentMinimum: 3, agentMaximum: 4, coordinator: 1...2) else {
            Issue.record("a too-new agent was accepted")
            return
        }
        #expect(tooNew.contains("too new") && tooNew.contains("upgrade the coordinator"))
        guard case .refused(let tooOld) = ProtocolNegotiation.negotiate(agentMinimum: 1, agentMaximum: 1, coordinator: 2...3) else {
            Issue.record("a too-old agent was accepted")
            return
        }
        #expect(tooOld.contains("too old") && tooOld.contains("upgrade the agent"))
        guard case .refused = ProtocolNegotiation.negotiate(agentMinimum: 3, agentMaximum: 2, coordinator: 1...3) else {
            Issue.record("an empty range was accepted")
            return
        }
    }
}
