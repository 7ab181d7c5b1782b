import Testing
@testable import CellStatistics

@Suite struct LogRankTestTests {
    @Test func identicalGroupsGiveZero() throws {
        let lives = [3.0, 5, 5, 8, 13, 21]
        let failed = [true, false, true, true, false, true]
        let test = try LogRankTest(groups: ["a": (lives, failed), "b": (lives, failed)])
        #expect(abs(test.chiSquare) < 1e-12)
        #expect(abs(test.pValue - 1) < 1e-12)
        #expect(test.degreesOfFreedom == 1)
    }

    @Test func allCensoredGivesNoEvidence() throws {
        let test = try LogRankTest(groups: ["a": ([3, 4, 5], [false, false, false]),
                                            "b": ([1, 2, 3], [false, false, false])])
        #expect(test.chiSquare == 0 && test.pValue == 1)
    }

    /// The two-sample statistic by hand from docs/statistics.md §4: Z = Σ(d1 − E1)/√ΣV.
    @Test func twoSampleMatchesTheTextbookFormula() throws {
        let a: (lives: [Double], failed: [Bool]) = ([2, 4, 4, 6, 9, 11], [true, true, false, true, true, false])
        let b: (lives: [Double], failed: [Bool]) = ([5, 7, 8, 12, 15, 15], [true, false, true, true, true, false])
        let test = try LogRankTest(groups: ["a": a, "b": b])
        var observedMinusExpected = 0.0, variance = 0.0
        let times = Set(zip(a.lives, a.failed).filter(\.1).map(\.0) + zip(b.lives, b.failed).filter(\.1).map(\.0)).sorted()
        for t in times {
            let n1 = Double(a.lives.filter { $0 >= t }.count)
            let n = n1 + Double(b.lives.filter { $0 >= t }.count)
            let d1 = Double(zip(a.lives, a.failed).filter { $0.0 == t && $0.1 }.count)
            let d = d1 + Double(zip(b.lives, b.failed).filter { $0.0 == t && $0.1 }.count)
            observedMinusExpected += d1 - d * n1 / n
            if n > 1 { variance += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) }
        }
        let chi2 = observedMinusExpected * observedMinusExpected / variance
        #expect(relativeError(test.chiSquare, chi2) < 1e-12)
        #expect(relativeError(test.pValue, IncompleteGamma.chiSquareSurvival(chi2, degreesOfFreedom: 1)) < 1e-12)
        #expect(abs(test.observed.reduce(0, +) - test.expected.reduce(0, +)) < 1e-12)
    }

    /// The k-group statistic does not depend on which group is left out of Zᵀ V⁻¹ Z.
    @Test func omnibusIsInvariantToGroupNames() throws {
        let x: ([Double], [Bool]) = ([1, 3, 6, 9, 12], [true, true, false, true, true])
        let y: ([Double], [Bool]) = ([2, 3, 4, 5, 8], [true, true, true, false, true])
        let z: ([Double], [Bool]) = ([7, 10, 11, 14, 20], [true, false, true, true, true])
        let first = try LogRankTest(groups: ["a": x, "b": y, "c": z])
        let second = try LogRankTest(groups: ["c": x, "a": y, "b": z])
        #expect(first.degreesOfFreedom == 2)
        #expect(relativeError(first.chiSquare, second.chiSquare) < 1e-10)
    }

    @Test func pseudoInverseOfASingularMatrix() {
        // diag(2, 0) rotated: the pseudo-inverse inverts only the non-zero direction.
        let inverse = SymmetricPseudoInverse.pseudoInverse([[1, 1], [1, 1]])
        for row in inverse { for value in row { #expect(abs(value - 0.25) < 1e-14) } }
        let regular = SymmetricPseudoInverse.pseudoInverse([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
        let matrix: [[Double]] = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]
        for i in 0..<3 {
            for j in 0..<3 {
                let product = (0..<3).reduce(0.0) { $0 + matrix[i][$1] * regular[$1][j] }
                #expect(abs(product - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    @Test func refusesAnEmptyGroup() {
        #expect(throws: SurvivalInputError.noCells(group: "b")) {
            try LogRankTest(groups: ["a": ([1, 2], [true, false]), "b": ([], [])])
        }
    }
}
