/// What an agent answered to a command from the coordinator.
public struct CommandOutcome: Codable, Sendable, Equatable {
    public var commandID: UInt64
    public var ok: Bool
    /// For the operator: what was done, or why not.
    public var message: String

    public init(commandID: UInt64, ok: Bool, message: String) {
        self.commandID = commandID
        self.ok = ok
        self.message = message
    }
}

/// The outcomes of the commands an agent has executed, by command id, so that a command the
/// coordinator sends again (it did not hear the result: a reconnect, a restart on either side)
/// is answered with the same result instead of being executed twice. Stored beside the spool,
/// so it survives an agent restart too.
///
/// Bounded: a coordinator re-sends a command for seconds to minutes, not for ever, so the oldest
/// outcomes are let go beyond `capacity`.
public struct ExecutedCommands: Codable, Sendable, Equatable {
    public static let defaultCapacity = 256

    /// Oldest first.
    public private(set) var outcomes: [CommandOutcome] = []
    public var capacity: Int

    public init(outcomes: [CommandOutcome] = [], capacity: Int = ExecutedCommands.defaultCapacity) {
        self.capacity = max(1, capacity)
        for outcome in outcomes { record(outcome) }
    }

    public func outcome(of commandID: UInt64) -> CommandOutcome? {
        outcomes.last { $0.commandID == commandID }
    }

    public mutating func record(_ outcome: CommandOutcome) {
        outcomes.removeAll { $0.commandID == outcome.commandID }
        outcomes.append(outcome)
        if outcomes.count > capacity { outcomes.removeFirst(outcomes.count - capacity) }
    }
}
