import Foundation

/// Kaplan–Meier survival of one group, with the conventions of Python `lifelines`
/// (`KaplanMeierFitter`), so a lab can check cellfleet's numbers against the tool it knows:
///
/// * one row per distinct life, censoring-only lives included, plus a leading row at 0 with S = 1
///   when no cell has life 0;
/// * a failure and a censoring at the same life fall in one row and the failure counts first
///   (the censored cell was still at risk for it);
/// * 95 % bounds by the exponential Greenwood (log(−log)) formula with z = 1.959963984540054;
///   both bounds are 1 where S = 1 and 0 where S = 0.
public struct KaplanMeierCurve: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var time: Double
        /// Cells still running just before `time`.
        public var atRisk: Int
        public var failed: Int
        public var censored: Int
        public var survival: Double
        public var lower: Double
        public var upper: Double
    }

    /// The 97.5 % standard normal quantile, to lifelines' digits.
    public static let z95 = 1.959963984540054

    public let rows: [Row]
    /// First life at which S ≤ 0.5, or nil when the curve never gets there.
    public let medianLife: Double?
    /// Where the lower and upper bound curves cross 0.5 (nil: not reached).
    public let medianLower: Double?
    public let medianUpper: Double?

    public var cells: Int { rows.first?.atRisk ?? 0 }
    public var failures: Int { rows.reduce(0) { $0 + $1.failed } }

    public init(lives: [Double], failed: [Bool], group: String = "") throws {
        precondition(lives.count == failed.count, "one event flag per life")
        guard !lives.isEmpty else { throw SurvivalInputError.noCells(group: group) }
        for life in lives where !(life.isFinite && life >= 0) {
            throw SurvivalInputError.invalidLife(group: group, life: life)
        }
        let order = lives.indices.sorted { lives[$0] < lives[$1] }

        var rows: [Row] = []
        rows.reserveCapacity(lives.count + 1)
        if lives[order[0]] > 0 {
            rows.append(Row(time: 0, atRisk: lives.count, failed: 0, censored: 0, survival: 1, lower: 1, upper: 1))
        }
        var atRisk = lives.count
        var survival = 1.0
        var greenwoodSum = 0.0
        // Factors (n_j − d_j)/n_j so far, for settling S = 1/2 exactly when the product is close.
        var factors: [(numerator: Int, denominator: Int)] = []
        var median: Double?
        var position = 0
        while position < order.count {
            let time = lives[order[position]]
            var events = 0
            var censored = 0
            while position < order.count, lives[order[position]] == time {
                if failed[order[position]] { events += 1 } else { censored += 1 }
                position += 1
            }
            if events > 0 {
                survival *= Double(atRisk - events) / Double(atRisk)
                if atRisk > events {
                    greenwoodSum += Double(events) / (Double(atRisk) * Double(atRisk - events))
                }
                factors.append((atRisk - events, atRisk))
            }
            let (lower, upper) = Self.bounds(survival: survival, greenwoodSum: greenwoodSum)
            rows.append(Row(time: time, atRisk: atRisk, failed: events, censored: censored,
                            survival: survival, lower: lower, upper: upper))
            if median == nil, events > 0, Self.isAtMostHalf(survival, factors: factors) {
                median = time
            }
            atRisk -= events + censored
        }
        self.rows = rows
        self.medianLife = median
        self.medianLower = rows.first(where: { $0.lower <= 0.5 })?.time
        self.medianUpper = rows.first(where: { $0.upper <= 0.5 })?.time
    }

    /// S at `time` (right-continuous step function).
    public func survival(at time: Double) -> Double {
        var value = 1.0
        for row in rows {
            if row.time > time { break }
            value = row.survival
        }
        return value
    }

    static func bounds(survival: Double, greenwoodSum: Double) -> (Double, Double) {
        if survival >= 1 { return (1, 1) }
        if survival <= 0 { return (0, 0) }
        let v = log(survival)
        let spread = z95 * greenwoodSum.squareRoot() / v
        let lower = exp(-exp(log(-v) - spread))
        let upper = exp(-exp(log(-v) + spread))
        return (lower, upper)
    }

    /// S ≤ 1/2, decided exactly when the floating-point product is too close to call.
    ///
    /// S is Π (n_j − d_j)/n_j; a rounded product (or lifelines' sum of logarithms) can land
    /// 1e-16 on either side of an exact 1/2 and move the median by a whole step. Near 1/2 the
    /// factors are reduced to prime exponents: all exponents of 2·S cancelling means S = 1/2.
    static func isAtMostHalf(_ survival: Double, factors: [(numerator: Int, denominator: Int)]) -> Bool {
        if abs(survival - 0.5) > 1e-9 { return survival <= 0.5 }
        var exponents: [Int: Int] = [2: 1]
        for factor in factors {
            for (prime, power) in primeFactors(factor.numerator) { exponents[prime, default: 0] += power }
            for (prime, power) in primeFactors(factor.denominator) { exponents[prime, default: 0] -= power }
        }
        let logTwiceSurvival = exponents.reduce(0.0) { $0 + Double($1.value) * log(Double($1.key)) }
        if exponents.values.allSatisfy({ $0 == 0 }) { return true }
        return logTwiceSurvival < 0
    }

    private static func primeFactors(_ value: Int) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        var rest = value
        var prime = 2
        while prime * prime <= rest {
            var power = 0
            while rest % prime == 0 { rest /= prime; power += 1 }
            if power > 0 { result.append((prime, power)) }
            prime += prime == 2 ? 1 : 2
        }
        if rest > 1 { result.append((rest, 1)) }
        return result
    }
}
