import CellModel
import CellStatistics
import Foundation

/// `cellfleet bench stats`: Kaplan–Meier + Weibull + log-rank on a synthetic fleet, timed per
/// call so a slow stage shows up by name.
public struct StatsBenchmark: Sendable {
    public struct Timing: Sendable {
        /// Median over the repeats, milliseconds.
        public var kaplanMeierMs: Double
        public var weibullMs: Double
        public var logRankMs: Double
        public var totalMs: Double
        public var repeats: Int
    }

    public let cells: [CellLife]

    /// A fleet of `groups` variants with Weibull lives (shape 1.5–3.3, integer cycles, so ties
    /// occur) and about 40 % right-censored; deterministic for a given seed.
    public init(cellCount: Int = 10_000, groups: Int = 10, seed: UInt64 = 20_261_125) {
        var random = SplitMix64(state: seed)
        func uniform() -> Double {
            (Double(random.next() >> 11) + 0.5) / 9_007_199_254_740_992
        }
        var cells: [CellLife] = []
        cells.reserveCapacity(cellCount)
        for index in 0..<cellCount {
            let group = index % groups
            let shape = 1.5 + 0.2 * Double(group)
            let scale = 400 + 25 * Double(group)
            let life = (scale * pow(-log(uniform()), 1 / shape)).rounded(.up)
            let stop = (200 + 600 * uniform()).rounded()
            cells.append(CellLife(cell: "cell-\(index)", group: String(format: "variant-%02d", group),
                                  life: min(life, stop), failed: life <= stop,
                                  channel: "ch\(index % 64)"))
        }
        self.cells = cells
    }

    /// The data as the `stats` input CSV (for timing another tool on the very same cells).
    public func csv() -> String {
        var out = "cell,group,life,failed\n"
        for cell in cells { out += "\(cell.cell),\(cell.group),\(cell.life),\(cell.failed ? 1 : 0)\n" }
        return out
    }

    public func run(repeats: Int = 15) throws -> Timing {
        var byGroup: [String: (lives: [Double], failed: [Bool])] = [:]
        for cell in cells {
            byGroup[cell.group, default: ([], [])].lives.append(cell.life)
            byGroup[cell.group, default: ([], [])].failed.append(cell.failed)
        }
        let names = byGroup.keys.sorted()
        var km: [Double] = [], weibull: [Double] = [], logRank: [Double] = [], total: [Double] = []
        var sink = 0.0
        let clock = ContinuousClock()
        for _ in 0..<max(1, repeats) {
            let start = clock.now
            for name in names {
                let group = byGroup[name]!
                let curve = try KaplanMeierCurve(lives: group.lives, failed: group.failed, group: name)
                sink += curve.medianLife ?? 0
            }
            let afterKM = clock.now
            for name in names {
                let group = byGroup[name]!
                sink += try WeibullFit(lives: group.lives, failed: group.failed).shape
            }
            let afterWeibull = clock.now
            sink += try LogRankTest(groups: byGroup).chiSquare
            let end = clock.now
            km.append(Self.milliseconds(afterKM - start))
            weibull.append(Self.milliseconds(afterWeibull - afterKM))
            logRank.append(Self.milliseconds(end - afterWeibull))
            total.append(Self.milliseconds(end - start))
        }
        precondition(sink.isFinite, "benchmark results must be finite")
        return Timing(kaplanMeierMs: Self.median(km), weibullMs: Self.median(weibull),
                      logRankMs: Self.median(logRank), totalMs: Self.median(total), repeats: max(1, repeats))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
