/// F5, "samples lost": what people are told when an agent declares that samples of a test will
/// never arrive (a damaged spool record, a delivery refused for good). One alert per hole, keyed
/// by its first sequence number, so a declaration received again raises nothing new. The test
/// goes on: a hole is a data-quality fact about the record, not a verdict on the cell.
public struct SampleLossAlert: Sendable, Equatable {
    public var testID: String
    public var firstSequence: Int64
    public var lastSequence: Int64
    public var reason: String

    public init(testID: String, firstSequence: Int64, lastSequence: Int64, reason: String) {
        self.testID = testID
        self.firstSequence = firstSequence
        self.lastSequence = lastSequence
        self.reason = reason
    }

    public var rule: FleetHealthRule { .samplesLost }
    public var severity: String { FleetHealthRule.severity }
    public var sampleCount: Int64 { lastSequence - firstSequence + 1 }

    /// One line for people: which samples, how many, and why.
    public var message: String {
        let folded = reason.split(whereSeparator: \.isNewline).joined(separator: " ")
        let why = folded.isEmpty ? "the agent gave no reason" : String(folded.prefix(SourceQuarantineAlert.messageReasonLimit))
        let count = sampleCount == 1 ? "1 sample" : "\(sampleCount) samples"
        return "\(count) lost (\(firstSequence)…\(lastSequence)); the test continues after the hole: \(why)"
    }

    public var evidence: [String: String] {
        ["first_seq": "\(firstSequence)", "last_seq": "\(lastSequence)", "samples": "\(sampleCount)", "reason": reason]
    }
}
