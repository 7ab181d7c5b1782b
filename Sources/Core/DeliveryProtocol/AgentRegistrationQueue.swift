/// The hellos waiting to be registered (an upsert of the agent and its channels, then a
/// `Welcome`). Agents say hello every second until welcomed, so while the database is slow the
/// same hello arrives again and again; they must not pile up as transactions.
///
/// - One registration at a time per agent, and at most `maximumConcurrent` in all.
/// - A hello from an agent whose registration is in progress or waiting is coalesced: the
///   latest replaces the one waiting, and one identical to the one being registered is answered
///   by that registration's welcome. Only a hello that differs (a restarted agent: a new epoch,
///   other channels, another connection) is registered again afterwards.
/// - At most `maximumWaitingAgents` agents wait for a slot; a hello beyond that is dropped (the
///   agent says hello again in a second), so even a flood of made-up agent ids is bounded.
public struct AgentRegistrationQueue<Hello: Sendable & Equatable>: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Register it now; call `finished(agentID)` when done.
        case register(Hello)
        /// Waits for a free slot; `finished` hands it out.
        case queued
        /// Answered by a registration in progress or waiting.
        case coalesced
        /// Too many agents waiting; not kept.
        case dropped
    }

    public let maximumConcurrent: Int
    public let maximumWaitingAgents: Int
    private var registering: [String: Hello] = [:]
    /// A differing hello received while the agent's registration was in progress.
    private var again: [String: Hello] = [:]
    private var waitingOrder: [String] = []
    private var waiting: [String: Hello] = [:]

    public init(maximumConcurrent: Int = 4, maximumWaitingAgents: Int = 1024) {
        self.maximumConcurrent = max(1, maximumConcurrent)
        self.maximumWaitingAgents = max(1, maximumWaitingAgents)
    }

    /// Registrations in progress.
    public var registeringCount: Int { registering.count }
    /// Hellos held and not yet being registered.
    public var waitingCount: Int { waiting.count + again.count }

    public mutating func received(_ hello: Hello, from agentID: String) -> Decision {
        if let current = registering[agentID] {
            again[agentID] = hello == current ? nil : hello
            return .coalesced
        }
        if waiting[agentID] != nil {
            waiting[agentID] = hello
            return .coalesced
        }
        if registering.count < maximumConcurrent {
            registering[agentID] = hello
            return .register(hello)
        }
        guard waitingOrder.count < maximumWaitingAgents else { return .dropped }
        waitingOrder.append(agentID)
        waiting[agentID] = hello
        return .queued
    }

    /// Ends the agent's registration (welcomed or failed) and returns the registrations to start
    /// now, in order.
    public mutating func finished(_ agentID: String) -> [(agentID: String, hello: Hello)] {
        guard registering.removeValue(forKey: agentID) != nil else { return [] }
        if let next = again.removeValue(forKey: agentID), waiting[agentID] == nil {
            // Behind the agents already waiting, so a chatty agent cannot starve them.
            waitingOrder.append(agentID)
            waiting[agentID] = next
        }
        var starts: [(agentID: String, hello: Hello)] = []
        while registering.count < maximumConcurrent, !waitingOrder.isEmpty {
            let next = waitingOrder.removeFirst()
            guard let hello = waiting.removeValue(forKey: next) else { continue }
            registering[next] = hello
            starts.append((next, hello))
        }
        return starts
    }
}
