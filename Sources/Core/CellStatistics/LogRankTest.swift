import Foundation

/// Log-rank test that the groups share one survival curve: the two-sample test for two groups,
/// the omnibus k-group test (k − 1 degrees of freedom) for more. It is lifelines'
/// `multivariate_logrank_test` (for two groups identical to `logrank_test` and to the square of
/// scipy's `logrank` statistic).
///
/// At every distinct life with failures the observed failures of each group are compared with
/// those expected from its share of the cells at risk; tied failures get the hypergeometric
/// variance. The statistic is U = Zᵀ V⁺ Z over the first k − 1 groups.
public struct LogRankTest: Sendable, Equatable {
    public let chiSquare: Double
    public let degreesOfFreedom: Int
    public let pValue: Double
    /// Groups in the order used (sorted by name), with observed and expected failures.
    public let groups: [String]
    public let observed: [Double]
    public let expected: [Double]

    /// - Parameter groups: group name → (lives, failed flags). Needs at least two groups.
    public init(groups input: [String: (lives: [Double], failed: [Bool])]) throws {
        precondition(input.count >= 2, "a log-rank test compares at least two groups")
        let names = input.keys.sorted()
        let k = names.count
        var pooled: [(life: Double, group: Int, failed: Bool)] = []
        pooled.reserveCapacity(input.values.reduce(0) { $0 + $1.lives.count })
        var atRisk = [Int](repeating: 0, count: k)
        for (index, name) in names.enumerated() {
            let group = input[name]!
            guard !group.lives.isEmpty else { throw SurvivalInputError.noCells(group: name) }
            for (life, failed) in zip(group.lives, group.failed) {
                guard life.isFinite, life >= 0 else { throw SurvivalInputError.invalidLife(group: name, life: life) }
                pooled.append((life, index, failed))
            }
            atRisk[index] = group.lives.count
        }
        pooled.sort { $0.life < $1.life }

        var observed = [Double](repeating: 0, count: k)
        var expected = [Double](repeating: 0, count: k)
        var covariance = Array(repeating: Array(repeating: 0.0, count: k), count: k)
        var eventsHere = [Int](repeating: 0, count: k)
        var removedHere = [Int](repeating: 0, count: k)
        var totalAtRisk = pooled.count
        var position = 0
        while position < pooled.count {
            let time = pooled[position].life
            for g in 0..<k { eventsHere[g] = 0; removedHere[g] = 0 }
            var events = 0, removed = 0
            while position < pooled.count, pooled[position].life == time {
                let entry = pooled[position]
                removedHere[entry.group] += 1
                removed += 1
                if entry.failed { eventsHere[entry.group] += 1; events += 1 }
                position += 1
            }
            if events > 0 {
                let n = Double(totalAtRisk), d = Double(events)
                // lifelines replaces the undefined (n − d)/(n − 1) at n = 1 by 1.
                let factor = (totalAtRisk > 1 ? (n - d) / (n - 1) : 1) * d / (n * n)
                for g in 0..<k {
                    let ng = Double(atRisk[g])
                    observed[g] += Double(eventsHere[g])
                    expected[g] += d * ng / n
                    if ng == 0 { continue }
                    covariance[g][g] += factor * ng * (n - ng)
                    for h in (g + 1)..<k where atRisk[h] > 0 {
                        let term = factor * ng * Double(atRisk[h])
                        covariance[g][h] -= term
                        covariance[h][g] -= term
                    }
                }
            }
            for g in 0..<k { atRisk[g] -= removedHere[g] }
            totalAtRisk -= removed
        }

        let reduced = Array(covariance.prefix(k - 1).map { Array($0.prefix(k - 1)) })
        let inverse = SymmetricPseudoInverse.pseudoInverse(reduced)
        let difference = (0..<(k - 1)).map { observed[$0] - expected[$0] }
        var statistic = 0.0
        for i in 0..<(k - 1) {
            for j in 0..<(k - 1) { statistic += difference[i] * inverse[i][j] * difference[j] }
        }
        statistic = max(0, statistic)
        self.chiSquare = statistic
        self.degreesOfFreedom = k - 1
        self.pValue = IncompleteGamma.chiSquareSurvival(statistic, degreesOfFreedom: k - 1)
        self.groups = names
        self.observed = observed
        self.expected = expected
    }
}
