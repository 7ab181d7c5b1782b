import WireProtocol

/// Which wire protocol version a coordinator and an agent speak, decided at hello: the newest
/// version both support. Agents and coordinators one release apart overlap by a version, so a
/// lab can upgrade them in either order; a peer with no version in common is refused with a
/// message that says which side to upgrade.
public enum ProtocolNegotiation {
    public enum Outcome: Equatable, Sendable {
        case agreed(version: UInt32)
        /// No common version; the text is for the agent's operator.
        case refused(String)
    }

    /// - Parameters:
    ///   - agentMinimum, agentMaximum: the range in the agent's hello. An agent that sent no range
    ///     (0, 0) predates the field and speaks version 1.
    ///   - coordinator: the versions this coordinator speaks.
    public static func negotiate(agentMinimum: UInt32, agentMaximum: UInt32, coordinator: ClosedRange<UInt32>) -> Outcome {
        let low = agentMinimum == 0 ? 1 : agentMinimum
        let high = agentMaximum == 0 ? max(low, 1) : agentMaximum
        guard low <= high else {
            return .refused("the agent's hello gives an empty protocol range \(low)…\(high)")
        }
        let ours = "this coordinator speaks \(coordinator.lowerBound)…\(coordinator.upperBound)"
        if high < coordinator.lowerBound {
            return .refused("the agent is too old: it speaks protocol \(low)…\(high) and \(ours); upgrade the agent")
        }
        if low > coordinator.upperBound {
            return .refused("the agent is too new: it speaks protocol \(low)…\(high) and \(ours); upgrade the coordinator")
        }
        return .agreed(version: min(high, coordinator.upperBound))
    }
}

extension WireEnvelope {
    /// A hello is read whatever its envelope's version: its version range is what is negotiated.
    public var isHello: Bool {
        if case .hello = body { return true }
        return false
    }
}
