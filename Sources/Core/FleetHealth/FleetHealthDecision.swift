/// What the fleet-health rules decided at one evaluation.
public enum FleetHealthDecision: Sendable, Equatable {
    /// A new episode: store one alert (at most one open per rule and subject).
    case raise(FleetHealthAlert)
    /// The condition has ended: resolve the open episode (by the coordinator).
    case resolve(FleetHealthRule, FleetHealthSubject)
}

/// A fleet-health alert to store: the rule, what it is about, a one-line message for people and
/// the numbers that made it fire (seconds).
public struct FleetHealthAlert: Sendable, Equatable {
    public var rule: FleetHealthRule
    public var subject: FleetHealthSubject
    public var message: String
    public var evidence: [String: Double]

    public init(rule: FleetHealthRule, subject: FleetHealthSubject, message: String, evidence: [String: Double]) {
        self.rule = rule
        self.subject = subject
        self.message = message
        self.evidence = evidence
    }
}
