/// F4, "source file quarantined": what people are told when an agent stops following one of its
/// source files (its earlier records changed, it shrank, or it cannot be parsed). The agent's
/// report is its evidence; the alert is one episode per (agent, file), so however often the agent
/// reports the same file while its alert is open, people are told once — until someone resolves
/// it, as the coordinator cannot tell when a person has dealt with the file.
public struct SourceQuarantineAlert: Sendable, Equatable {
    /// The longest reason kept in the one-line message (the evidence keeps all of it).
    public static let messageReasonLimit = 500

    public var agentID: String
    /// Nil when the agent named none.
    public var channelID: String?
    /// The test the file feeds, nil when it has none yet (the file failed before its first record).
    public var testID: String?
    /// The path relative to the watched folder: with the agent, what the episode is about.
    public var file: String
    public var reason: String

    /// Empty channel and test ids (proto3's "not given") become nil.
    public init(agentID: String, channelID: String, testID: String, file: String, reason: String) {
        self.agentID = agentID
        self.channelID = channelID.isEmpty ? nil : channelID
        self.testID = testID.isEmpty ? nil : testID
        self.file = file
        self.reason = reason
    }

    public var rule: FleetHealthRule { .sourceQuarantined }
    public var severity: String { FleetHealthRule.severity }

    /// One line for people: the file and why (line breaks folded, a long reason shortened).
    public var message: String {
        let folded = reason.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }.joined(separator: " ")
        let why: String
        if folded.isEmpty {
            why = "no reason given"
        } else if folded.count > Self.messageReasonLimit {
            why = String(folded.prefix(Self.messageReasonLimit)) + "…"
        } else {
            why = folded
        }
        return "source file \(file) quarantined: \(why)"
    }

    /// What the alert's evidence holds: the agent's report as it gave it.
    public var evidence: [String: String] { ["file": file, "reason": reason] }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return text
    }
}
