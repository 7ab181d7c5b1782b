import Foundation

/// Failure rate per channel (or per cycler), flagging those that fail cells far more often than
/// the rest of the fleet: a bad channel (loose contact, drifting current) kills cells of every
/// variant and must not be mistaken for a bad variant.
///
/// Test: one-sided Fisher exact test of the channel's failed / not-failed cells against the rest
/// of the fleet's, Bonferroni-adjusted over the channels tested; flagged when the adjusted
/// p-value is below 0.05. It counts cells, not cell-hours, so a channel that only ran long tests
/// can look worse than it is; the table shows n and failures so a reader can judge.
public struct ChannelFailureRates: Sendable, Equatable {
    public static let testName =
        "one-sided Fisher exact test, channel vs rest of fleet, Bonferroni-adjusted, alpha 0.05"
    public static let alpha = 0.05

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var cells: Int
        public var failures: Int
        public var failureRate: Double
        /// Failure rate of all other cells in the fleet.
        public var restFailureRate: Double
        public var pValue: Double
        public var adjustedPValue: Double
        public var flagged: Bool
    }

    public let fleetFailureRate: Double
    public let entries: [Entry]

    /// - Parameter location: the channel (or cycler) of a cell; cells without one are left out.
    public init(cells: [CellLife], location: (CellLife) -> String?) {
        var tally: [String: (cells: Int, failures: Int)] = [:]
        for cell in cells {
            guard let name = location(cell)?.trimmingWhitespace(), !name.isEmpty else { continue }
            tally[name, default: (0, 0)].cells += 1
            if cell.failed { tally[name, default: (0, 0)].failures += 1 }
        }
        let totalCells = tally.values.reduce(0) { $0 + $1.cells }
        let totalFailures = tally.values.reduce(0) { $0 + $1.failures }
        fleetFailureRate = totalCells > 0 ? Double(totalFailures) / Double(totalCells) : 0
        let tests = Double(tally.count)
        entries = tally.keys.sorted().map { name in
            let here = tally[name]!
            let restCells = totalCells - here.cells
            let restFailures = totalFailures - here.failures
            let p = Self.fisherUpperTail(failures: here.failures, cells: here.cells,
                                         totalFailures: totalFailures, totalCells: totalCells)
            let adjusted = min(1, p * tests)
            let rate = Double(here.failures) / Double(here.cells)
            let restRate = restCells > 0 ? Double(restFailures) / Double(restCells) : rate
            return Entry(name: name, cells: here.cells, failures: here.failures, failureRate: rate,
                         restFailureRate: restRate, pValue: p, adjustedPValue: adjusted,
                         flagged: adjusted < Self.alpha && rate > restRate)
        }
    }

    /// P(X ≥ failures) for X hypergeometric: `cells` drawn from `totalCells` holding `totalFailures`.
    static func fisherUpperTail(failures: Int, cells: Int, totalFailures: Int, totalCells: Int) -> Double {
        let highest = min(cells, totalFailures)
        guard failures <= highest else { return 0 }
        func logChoose(_ n: Int, _ k: Int) -> Double {
            lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        }
        let logTotal = logChoose(totalCells, cells)
        var sum = 0.0
        for x in failures...highest where cells - x <= totalCells - totalFailures {
            sum += exp(logChoose(totalFailures, x) + logChoose(totalCells - totalFailures, cells - x) - logTotal)
        }
        return min(1, sum)
    }
}
