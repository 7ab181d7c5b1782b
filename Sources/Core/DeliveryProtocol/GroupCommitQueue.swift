/// The deliveries the coordinator has read and not yet answered, and the rules for admitting
/// them and forming group commits. Pure: the coordinator offers what it reads, takes groups to
/// commit, and records each one's outcome, which says when to answer it.
///
/// - **Credit**: an agent may have `limits.credit` deliveries unanswered (the credit of its
///   `Welcome`), and a bounded number of samples and bytes; beyond that a delivery is refused
///   with `CREDIT_EXCEEDED` at once, before it costs the coordinator anything but reading it.
/// - **Re-sends are coalesced**: an agent that re-sends a delivery still held (after its ack
///   timeout, or a reconnect) has not exceeded its credit — it is the same delivery. An identical
///   copy is answered by the held one's outcome, sent to the connection it came in on last.
///   A different delivery under a held id is a delivery of its own. A copy of a delivery
///   answered as committed just before it arrived (the re-send crossed the acknowledgement) is
///   a *late copy*: it is held and answered, but not counted against the credit, since the agent
///   no longer counts it in flight either; at most `limits.credit` of them per agent.
/// - **Bounded in total**: `hasRoom` says whether the coordinator should read on; when it is
///   false the socket's high-water marks push back on every agent.
/// - **Fair groups**: a group takes deliveries from the agents in turn, each agent's in the order
///   received (a later batch of a test builds on an earlier one's mark), up to
///   `limits.maximumRowsPerGroup` rows; a larger batch goes in parts, one group each; the next
///   group starts with the next agent. So an agent with a deep queue of large batches delays
///   another by at most one group of bounded size.
/// - **One outcome each**: `finish` hands back a delivery to answer exactly once.
public struct GroupCommitQueue<ReplyAddress: Sendable>: Sendable {
    /// Names one accepted delivery from `offer` until it is answered.
    public struct Ticket: Hashable, Comparable, Sendable, CustomStringConvertible {
        public let number: UInt64
        public static func < (lhs: Ticket, rhs: Ticket) -> Bool { lhs.number < rhs.number }
        public var description: String { "#\(number)" }
    }

    public struct Entry: Sendable {
        public let ticket: Ticket
        public let delivery: IngestDelivery
        /// Its size as received, counted against the byte limits.
        public let bytes: Int
        /// Where its outcome goes: the connection it (or an identical re-send) came in on last.
        public fileprivate(set) var replyAddress: ReplyAddress
        /// A copy of a delivery answered as committed just before it arrived
        /// (`RecentDeliveryIDs`): held and answered like any other, not counted in the credit.
        public fileprivate(set) var isLateCopy = false
    }

    /// One delivery, or one part of a large one, in a group to commit.
    public struct GroupMember: Sendable {
        public let ticket: Ticket
        /// What to commit: the delivery, or the rows of this part (`IngestDelivery.rows`).
        public let delivery: IngestDelivery
        /// The delivery is answered after its last part.
        public let isFinalPart: Bool
    }

    public enum Admission: Sendable, Equatable {
        /// Held; answered when `finish` says so.
        case accepted(Ticket)
        /// An identical copy of a delivery already held: the held one's outcome answers both.
        case coalesced(Ticket)
        /// Not held; answer with this refusal now.
        case refused(IngestRefusal)
    }

    /// What is held: deliveries, their samples and their bytes.
    public struct Usage: Sendable, Equatable {
        public var deliveries = 0
        public var samples = 0
        public var bytes = 0
        public init() {}
    }

    private struct DeliveryKey: Hashable {
        var agentID: String
        var deliveryID: UInt64
    }

    public let limits: IngestLimits
    private var entries: [Ticket: Entry] = [:]
    /// Deliveries with a part (or all of them) in a group whose outcome is not yet recorded.
    private var committing: Set<Ticket> = []
    /// Rows of a delivery taken in parts so far, while parts remain.
    private var rowsTaken: [Ticket: Int] = [:]
    /// Per agent, its waiting deliveries in the order received.
    private var waiting: [String: [Ticket]] = [:]
    /// The agents with waiting deliveries, in turn order.
    private var turns: [String] = []
    private var usageByAgent: [String: Usage] = [:]
    private var heldByDeliveryID: [DeliveryKey: [Ticket]] = [:]
    /// Per agent, its deliveries answered as committed most recently (as many as its credit).
    private var recentlyCommitted: [String: RecentDeliveryIDs] = [:]
    /// Per agent, how many of its held deliveries are late copies.
    private var lateCopies: [String: Int] = [:]
    private var lastTicket: UInt64 = 0
    /// Everything held, waiting or being committed.
    public private(set) var total = Usage()

    public init(limits: IngestLimits) {
        self.limits = limits
    }

    /// What `agentID` has unanswered, waiting or being committed.
    public func usage(of agentID: String) -> Usage { usageByAgent[agentID] ?? Usage() }

    /// How many of `agentID`'s held deliveries are late copies of ones already answered; they
    /// are in `usage(of:)` but not counted against the credit (at most `limits.credit` of them).
    public func lateCopyCount(of agentID: String) -> Int { lateCopies[agentID] ?? 0 }

    /// Whether the coordinator should read more from its socket.
    public var hasRoom: Bool { total.samples < limits.totalSamples && total.bytes < limits.totalBytes }

    /// Whether a group is ready to take.
    public var hasWaiting: Bool { !turns.isEmpty }

    /// Deliveries with a part in a group whose outcome is not yet recorded.
    public var committingCount: Int { committing.count }

    /// Admits a delivery just read, or refuses it.
    public mutating func offer(_ delivery: IngestDelivery, bytes: Int, replyAddress: ReplyAddress) -> Admission {
        let key = DeliveryKey(agentID: delivery.agentID, deliveryID: delivery.deliveryID)
        if let held = heldByDeliveryID[key], let same = held.first(where: { entries[$0]?.delivery == delivery }) {
            entries[same]?.replyAddress = replyAddress
            return .coalesced(same)
        }
        let samples = delivery.sampleCount
        let isLateCopy = isLateCopy(key)
        if let refusal = creditRefusal(agentID: delivery.agentID, deliveryID: delivery.deliveryID, samples: samples, bytes: bytes, isLateCopy: isLateCopy) {
            return .refused(refusal)
        }
        lastTicket += 1
        let ticket = Ticket(number: lastTicket)
        entries[ticket] = Entry(ticket: ticket, delivery: delivery, bytes: bytes, replyAddress: replyAddress, isLateCopy: isLateCopy)
        if isLateCopy { lateCopies[delivery.agentID, default: 0] += 1 }
        heldByDeliveryID[key, default: []].append(ticket)
        if waiting[delivery.agentID, default: []].isEmpty { turns.append(delivery.agentID) }
        waiting[delivery.agentID, default: []].append(ticket)
        Self.add(samples: samples, bytes: bytes, to: &usageByAgent[delivery.agentID, default: Usage()])
        Self.add(samples: samples, bytes: bytes, to: &total)
        return .accepted(ticket)
    }

    /// The refusal `offer` would give a delivery known only by its header (`WireDeliveryPeek`),
    /// so one beyond the agent's credit is refused without decoding it; nil when it might be
    /// admitted — or coalesced with a held one of the same id — and must be decoded and offered.
    public func refusalBeforeDecoding(agentID: String, deliveryID: UInt64, samples: Int, bytes: Int) -> IngestRefusal? {
        let key = DeliveryKey(agentID: agentID, deliveryID: deliveryID)
        guard heldByDeliveryID[key] == nil else { return nil }
        return creditRefusal(agentID: agentID, deliveryID: deliveryID, samples: samples, bytes: bytes, isLateCopy: isLateCopy(key))
    }

    /// A delivery answered as committed moments ago, of which no copy is held: the agent sent
    /// this one before the answer reached it (a go-back-N re-send). At most `limits.credit` are
    /// held at once (one window of re-sends); beyond that a copy counts like any delivery.
    private func isLateCopy(_ key: DeliveryKey) -> Bool {
        heldByDeliveryID[key] == nil && lateCopyCount(of: key.agentID) < limits.credit
            && recentlyCommitted[key.agentID]?.contains(key.deliveryID) == true
    }

    private func creditRefusal(agentID: String, deliveryID: UInt64, samples: Int, bytes: Int, isLateCopy: Bool) -> IngestRefusal? {
        let usage = usage(of: agentID)
        let inFlight = usage.deliveries - lateCopyCount(of: agentID)
        if !isLateCopy && inFlight >= limits.credit {
            return IngestRefusal(
                code: .creditExceeded,
                message: "agent '\(agentID)' has \(inFlight) deliveries unacknowledged and its credit is \(limits.credit); wait for their acknowledgements, then re-send delivery \(deliveryID)")
        }
        if usage.deliveries > 0 && (usage.samples + samples > limits.agentSamples || usage.bytes + bytes > limits.agentBytes) {
            return IngestRefusal(
                code: .creditExceeded,
                message: "agent '\(agentID)' has \(usage.samples) samples (\(usage.bytes) bytes) unacknowledged; \(samples) more would exceed \(limits.agentSamples) samples or \(limits.agentBytes) bytes; wait for acknowledgements, then re-send delivery \(deliveryID)")
        }
        return nil
    }

    /// The next group to commit (empty when nothing waits): deliveries from the agents in turn,
    /// each agent's in order, while the rows fit. A batch larger than a whole group goes in
    /// parts of at most `limits.maximumRowsPerGroup` rows, one part per group, so no group is
    /// ever larger than that and other agents' deliveries go in between.
    public mutating func takeGroup() -> [GroupMember] {
        guard let firstAgent = turns.first else { return [] }
        var group: [GroupMember] = []
        var rows = 0
        var open = turns
        var index = 0
        while !open.isEmpty {
            if index >= open.count { index = 0 }
            let agent = open[index]
            // An agent whose next delivery has a part being committed waits for its outcome.
            guard let ticket = waiting[agent]?.first, !committing.contains(ticket), let entry = entries[ticket] else {
                open.remove(at: index)
                continue
            }
            let total = entry.delivery.sampleCount
            let done = rowsTaken[ticket] ?? 0
            let part = total > limits.maximumRowsPerGroup ? min(total - done, limits.maximumRowsPerGroup) : total
            if !group.isEmpty && rows + part > limits.maximumRowsPerGroup {
                // This agent's next does not fit; its later ones must not overtake it.
                open.remove(at: index)
                continue
            }
            let isFinal = done + part >= total
            if isFinal {
                rowsTaken[ticket] = nil
                waiting[agent]?.removeFirst()
                if waiting[agent]?.isEmpty == true { waiting[agent] = nil }
            } else {
                rowsTaken[ticket] = done + part
            }
            committing.insert(ticket)
            let delivery = part == total ? entry.delivery : entry.delivery.rows(done..<(done + part))
            group.append(GroupMember(ticket: ticket, delivery: delivery, isFinalPart: isFinal))
            rows += part
            index += 1
        }
        // Agents with nothing left waiting leave the turn order; the one that went first goes last.
        turns.removeAll { waiting[$0] == nil }
        if let first = turns.firstIndex(of: firstAgent) {
            turns.append(turns.remove(at: first))
        }
        return group
    }

    /// Records the outcome of a group member. Returns the delivery to answer and the outcome to
    /// send — or nil if there is nothing to send yet (a part committed and more parts follow) or
    /// the member is not being committed (already finished: no delivery is answered twice).
    /// A refused or failed part answers the whole delivery, and its remaining parts are dropped
    /// (the agent re-sends it; the committed parts are then duplicates).
    public mutating func finish(_ member: GroupMember, _ outcome: IngestOutcome) -> (entry: Entry, outcome: IngestOutcome)? {
        guard committing.remove(member.ticket) != nil, let entry = entries[member.ticket] else { return nil }
        if case .committed = outcome, !member.isFinalPart { return nil }
        if !member.isFinalPart {
            let agent = entry.delivery.agentID
            rowsTaken[member.ticket] = nil
            waiting[agent]?.removeAll { $0 == member.ticket }
            if waiting[agent]?.isEmpty == true { waiting[agent] = nil }
            turns.removeAll { waiting[$0] == nil }
        }
        release(entry)
        if case .committed = outcome {
            recentlyCommitted[entry.delivery.agentID, default: RecentDeliveryIDs(capacity: limits.credit)].insert(entry.delivery.deliveryID)
        }
        return (entry, outcome)
    }

    private mutating func release(_ entry: Entry) {
        entries[entry.ticket] = nil
        let key = DeliveryKey(agentID: entry.delivery.agentID, deliveryID: entry.delivery.deliveryID)
        heldByDeliveryID[key]?.removeAll { $0 == entry.ticket }
        if heldByDeliveryID[key]?.isEmpty == true { heldByDeliveryID[key] = nil }
        let samples = entry.delivery.sampleCount
        Self.remove(samples: samples, bytes: entry.bytes, from: &total)
        Self.remove(samples: samples, bytes: entry.bytes, from: &usageByAgent[entry.delivery.agentID, default: Usage()])
        if usageByAgent[entry.delivery.agentID]?.deliveries == 0 { usageByAgent[entry.delivery.agentID] = nil }
        if entry.isLateCopy {
            lateCopies[entry.delivery.agentID, default: 1] -= 1
            if lateCopies[entry.delivery.agentID] == 0 { lateCopies[entry.delivery.agentID] = nil }
        }
    }

    private static func add(samples: Int, bytes: Int, to usage: inout Usage) {
        usage.deliveries += 1
        usage.samples += samples
        usage.bytes += bytes
    }

    private static func remove(samples: Int, bytes: Int, from usage: inout Usage) {
        usage.deliveries -= 1
        usage.samples -= samples
        usage.bytes -= bytes
    }
}
