/// A study's replicate policy as a value: which of a group's stock cells to queue, what a
/// finished test counts as, and when the group and the study are done.
///
/// A group is complete when it has its number of **conclusive** tests: one that ran its course
/// without a fail alert, or that failed after the study's infant window (a failure then is a
/// result). A test that fails as **infant mortality** — a fail alert before `infantHours` of test
/// time or `infantCycles` cycles, or a hard short (H1, H2) within `hardShortCycles` — does not
/// count: the group's next stock cell is queued in its place, and when the stock runs out the
/// group says so.
public struct StudyProgress: Sendable, Hashable, Codable {
    public struct Plan: Sendable, Hashable, Codable {
        public var name: String
        public var priority: Int
        public var infantHours: Double?
        public var infantCycles: Int?
        /// A hard short in the first this many cycles is infant mortality (default 1: the first cycle).
        public var hardShortCycles: Int
        public var groups: [GroupPlan]

        public init(name: String, priority: Int = 0, infantHours: Double? = nil, infantCycles: Int? = nil, hardShortCycles: Int = 1, groups: [GroupPlan]) {
            self.name = name
            self.priority = priority
            self.infantHours = infantHours
            self.infantCycles = infantCycles
            self.hardShortCycles = hardShortCycles
            self.groups = groups
        }
    }

    public struct GroupPlan: Sendable, Hashable, Codable {
        public var name: String
        public var replicates: Int
        public var protocolToRun: TestProtocol
        public var durationHours: Double?
        public var onFail: String
        public var attributes: [String: String]
        /// The stock, used in order; a cell may run its own protocol.
        public var cells: [StockCell]

        public init(name: String, replicates: Int, protocolToRun: TestProtocol, durationHours: Double? = nil, onFail: String = "notify",
                    attributes: [String: String] = [:], cells: [StockCell]) {
            self.name = name
            self.replicates = replicates
            self.protocolToRun = protocolToRun
            self.durationHours = durationHours
            self.onFail = onFail
            self.attributes = attributes
            self.cells = cells
        }
    }

    public struct StockCell: Sendable, Hashable, Codable {
        public var id: String
        public var protocolToRun: TestProtocol?

        public init(id: String, protocolToRun: TestProtocol? = nil) {
            self.id = id
            self.protocolToRun = protocolToRun
        }
    }

    /// How a test ended, as the coordinator knows it.
    public struct Outcome: Sendable, Hashable, Codable {
        /// The test's first detector fail alert: its rule, and the test hours and cycle it came at.
        public var failRule: String?
        public var failAtHours: Double?
        public var failAtCycle: Int?
        /// The test's end reason; nil counts as having run its course.
        public var endReason: String?

        public init(failRule: String? = nil, failAtHours: Double? = nil, failAtCycle: Int? = nil, endReason: String? = nil) {
            self.failRule = failRule
            self.failAtHours = failAtHours
            self.failAtCycle = failAtCycle
            self.endReason = endReason
        }

        public static let completed = Outcome()

        /// The end reasons of a test that ran its course: the agent's (a preset or the study's
        /// duration reached), a followed file that stopped growing, an import read to its end.
        public static let ranItsCourse: Set<String> = ["completed", "idle", "imported"]

        var ranItsCourse: Bool { endReason.map { Self.ranItsCourse.contains($0) } ?? true }
    }

    public enum Verdict: String, Sendable, Hashable, Codable {
        /// Ran its course without a fail alert.
        case conclusive
        /// Failed after the infant window: a result, counted.
        case failed
        /// Infant mortality: not counted, replaced.
        case infant
        /// Ended early without a fail alert (a person stopped it): not counted, replaced.
        case aborted
        /// The cell was damaged at loading and never tested: not counted, replaced.
        case damaged

        /// Whether it counts towards the group's replicates.
        public var isConclusive: Bool { self == .conclusive || self == .failed }
    }

    public struct GroupState: Sendable, Hashable, Codable {
        public var nextStock = 0
        public var inFlight: Set<String> = []
        public var conclusive = 0
        public var failed = 0
        public var replaced = 0
        public var verdicts: [String: Verdict] = [:]

        public init(nextStock: Int = 0, inFlight: Set<String> = [], conclusive: Int = 0, failed: Int = 0, replaced: Int = 0, verdicts: [String: Verdict] = [:]) {
            self.nextStock = nextStock
            self.inFlight = inFlight
            self.conclusive = conclusive
            self.failed = failed
            self.replaced = replaced
            self.verdicts = verdicts
        }
    }

    public enum State: String, Sendable, Hashable, Codable {
        case running, complete
        /// A group cannot reach its replicates: its stock ran out.
        case stockExhausted = "stock_exhausted"
    }

    public let plan: Plan
    public private(set) var groups: [String: GroupState] = [:]
    /// The next request's submission number (FIFO across the fleet is the caller's: it seeds this).
    public private(set) var nextSubmitted: UInt64

    public init(plan: Plan, firstSubmitted: UInt64) {
        self.plan = plan
        nextSubmitted = firstSubmitted
        for group in plan.groups { groups[group.name] = GroupState() }
    }

    /// A study as the database has it: the coordinator rebuilds it each scheduling round from the
    /// rows (`nextStock` is how many of the group's stock cells have been asked for: they are
    /// used in order). A group missing from `groups` starts from nothing.
    public init(plan: Plan, restoring restored: [String: GroupState], nextSubmitted: UInt64) {
        self.plan = plan
        self.nextSubmitted = nextSubmitted
        for group in plan.groups { groups[group.name] = restored[group.name] ?? GroupState() }
    }

    /// The first requests: as many cells of each group as it needs replicates (or has stock).
    public mutating func start() -> [CellRequest] { topUp() }

    /// Requests for every group that has fewer cells in flight than it still needs — at the
    /// start, after infant mortality, after a cell damaged at loading or a withdrawn request, when
    /// replicates were added — from its stock, in order.
    public mutating func topUp() -> [CellRequest] {
        var requests: [CellRequest] = []
        for group in plan.groups {
            while let request = nextRequest(for: group.name) { requests.append(request) }
        }
        return requests
    }

    /// What a finished test counts as, and the replacement it calls for, if any.
    public mutating func testFinished(cellID: String, group groupName: String, outcome: Outcome) -> (verdict: Verdict, replacement: CellRequest?) {
        guard var group = groups[groupName], group.inFlight.remove(cellID) != nil else {
            return (groups[groupName]?.verdicts[cellID] ?? .conclusive, nil)
        }
        let verdict = self.verdict(outcome)
        group.verdicts[cellID] = verdict
        switch verdict {
        case .conclusive: group.conclusive += 1
        case .failed:
            group.conclusive += 1
            group.failed += 1
        case .infant, .aborted, .damaged: group.replaced += 1
        }
        groups[groupName] = group
        let replacement = verdict.isConclusive ? nil : nextRequest(for: groupName)
        return (verdict, replacement)
    }

    public func verdict(_ outcome: Outcome) -> Verdict {
        guard let rule = outcome.failRule else { return outcome.ranItsCourse ? .conclusive : .aborted }
        if let hours = plan.infantHours, let at = outcome.failAtHours, at < hours { return .infant }
        if let cycles = plan.infantCycles, let at = outcome.failAtCycle, at < cycles { return .infant }
        if rule == "H1" || rule == "H2", let at = outcome.failAtCycle, at <= plan.hardShortCycles { return .infant }
        return .failed
    }

    /// The study cannot complete as soon as one group cannot (the others may still run on).
    public var state: State {
        let states = plan.groups.map { groupState($0.name) }
        if states.contains(.stockExhausted) { return .stockExhausted }
        return states.allSatisfy { $0 == .complete } ? .complete : .running
    }

    public func groupState(_ name: String) -> State {
        guard let group = plan.groups.first(where: { $0.name == name }), let progress = groups[name] else { return .running }
        if progress.conclusive >= group.replicates { return .complete }
        let possible = progress.conclusive + progress.inFlight.count + (group.cells.count - progress.nextStock)
        return possible < group.replicates ? .stockExhausted : .running
    }

    public func stockLeft(group: String) -> Int {
        guard let plan = plan.groups.first(where: { $0.name == group }), let progress = groups[group] else { return 0 }
        return plan.cells.count - progress.nextStock
    }

    private mutating func nextRequest(for groupName: String) -> CellRequest? {
        guard let group = plan.groups.first(where: { $0.name == groupName }), var progress = groups[groupName],
              progress.nextStock < group.cells.count,
              progress.conclusive + progress.inFlight.count < group.replicates
        else { return nil }
        let cell = group.cells[progress.nextStock]
        progress.nextStock += 1
        progress.inFlight.insert(cell.id)
        groups[groupName] = progress
        defer { nextSubmitted += 1 }
        return CellRequest(
            id: "\(plan.name)/\(group.name)/\(cell.id)", cellID: cell.id, study: plan.name, group: group.name,
            protocolToRun: cell.protocolToRun ?? group.protocolToRun, priority: plan.priority, submitted: nextSubmitted)
    }
}
