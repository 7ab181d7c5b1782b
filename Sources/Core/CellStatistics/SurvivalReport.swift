/// Everything `cellfleet stats` says about a fleet: per group Kaplan–Meier, median, Weibull and
/// failure kinds; across groups the log-rank test; per channel and cycler the failure rates.
public struct SurvivalReport: Sendable {
    /// Fewest failures for which a Weibull fit is reported. Below 5 it is indicative only
    /// (docs/statistics.md §3); below 3 the shape is mostly noise, so it is left out.
    public static let minimumFailuresForWeibull = 3

    public struct Group: Sendable {
        public var name: String
        public var cells: Int
        public var failures: Int
        public var censored: Int { cells - failures }
        public var kaplanMeier: KaplanMeierCurve
        public var weibull: WeibullFit?
        /// Why there is no Weibull fit, when there are enough failures for one.
        public var weibullNote: String?
        public var kinds: FailureKindCounts?
    }

    public let groups: [Group]
    public let logRank: LogRankTest?
    public let channels: ChannelFailureRates?
    public let cyclers: ChannelFailureRates?

    public init(cells: [CellLife]) throws {
        var byGroup: [String: [CellLife]] = [:]
        for cell in cells { byGroup[cell.group, default: []].append(cell) }
        guard !byGroup.isEmpty else { throw SurvivalInputError.noCells(group: "(any)") }
        let hasKinds = cells.contains { $0.kind != nil }
        var groups: [Group] = []
        for name in byGroup.keys.sorted() {
            let members = byGroup[name]!
            let lives = members.map(\.life)
            let failed = members.map(\.failed)
            let curve = try KaplanMeierCurve(lives: lives, failed: failed, group: name)
            let failures = failed.reduce(0) { $0 + ($1 ? 1 : 0) }
            var weibull: WeibullFit?
            var note: String?
            if failures >= Self.minimumFailuresForWeibull {
                do {
                    weibull = try WeibullFit(lives: lives, failed: failed)
                } catch {
                    note = "no Weibull fit: \(error)"
                }
            }
            groups.append(Group(name: name, cells: members.count, failures: failures, kaplanMeier: curve,
                                weibull: weibull, weibullNote: note,
                                kinds: hasKinds ? FailureKindCounts(cells: members) : nil))
        }
        self.groups = groups
        if byGroup.count >= 2 {
            var input: [String: (lives: [Double], failed: [Bool])] = [:]
            for (name, members) in byGroup { input[name] = (members.map(\.life), members.map(\.failed)) }
            logRank = try LogRankTest(groups: input)
        } else {
            logRank = nil
        }
        channels = cells.contains { $0.channel != nil } ? ChannelFailureRates(cells: cells, location: \.channel) : nil
        cyclers = cells.contains { $0.cycler != nil } ? ChannelFailureRates(cells: cells, location: \.cycler) : nil
    }
}
