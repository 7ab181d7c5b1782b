/// The coordinator's side of commands to agents (the safety stop, later the scheduler's starts):
/// which open commands to send now, and which have gone unanswered so long that a person must be
/// told. Commands live in the database (`commands`); an agent executes a command id once and
/// answers a repeat with the same result, so sending again is always safe — what this decides is
/// only how soon.
public struct CommandDispatchRules: Sendable {
    /// A command sent and not answered is sent again after this long (a lost reply, an agent that
    /// reconnected to another coordinator meanwhile).
    public var resendAfterSeconds: Double = 5
    /// A stop the agent has not confirmed after this long is said so on its alert ("stop pending").
    public var confirmWithinSeconds: Double = 60

    public init() {}

    /// A command not yet answered, as the coordinator reads it; times in seconds on one clock
    /// (the database's, so that several coordinators agree).
    public struct OpenCommand: Sendable, Equatable {
        public var commandID: Int64
        public var agentID: String
        public var createdAtSeconds: Double
        /// When it was last sent; nil if never.
        public var sentAtSeconds: Double?
        /// Whether its alert already says the stop is pending.
        public var toldPending: Bool

        public init(commandID: Int64, agentID: String, createdAtSeconds: Double, sentAtSeconds: Double?, toldPending: Bool) {
            self.commandID = commandID
            self.agentID = agentID
            self.createdAtSeconds = createdAtSeconds
            self.sentAtSeconds = sentAtSeconds
            self.toldPending = toldPending
        }
    }

    public struct Decision: Sendable, Equatable {
        /// To send now, in the order they were made.
        public var send: [Int64] = []
        /// Unanswered past `confirmWithinSeconds`: their alerts must say "stop pending".
        public var overdue: [Int64] = []

        public init(send: [Int64] = [], overdue: [Int64] = []) {
            self.send = send
            self.overdue = overdue
        }
    }

    /// - Parameter connected: agents this coordinator holds a connection to; a command for any
    ///   other agent is left to the coordinator that does (or to the agent's return).
    public func decide(_ open: [OpenCommand], connected: Set<String>, nowSeconds: Double) -> Decision {
        var decision = Decision()
        for command in open.sorted(by: { $0.commandID < $1.commandID }) {
            if connected.contains(command.agentID) {
                if let sent = command.sentAtSeconds {
                    if nowSeconds - sent >= resendAfterSeconds { decision.send.append(command.commandID) }
                } else {
                    decision.send.append(command.commandID)
                }
            }
            // Overdue whoever holds the agent: the person must hear it even if no one does.
            if !command.toldPending, nowSeconds - command.createdAtSeconds >= confirmWithinSeconds {
                decision.overdue.append(command.commandID)
            }
        }
        return decision
    }
}
