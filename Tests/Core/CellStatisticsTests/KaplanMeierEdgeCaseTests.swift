import Testing
@testable import CellStatistics

@Suite struct KaplanMeierEdgeCaseTests {
    @Test func allCensoredStaysAtOneWithBoundsOneAndNoMedian() throws {
        let curve = try KaplanMeierCurve(lives: [30, 45, 45, 60], failed: [false, false, false, false])
        #expect(curve.rows.map(\.time) == [0, 30, 45, 60])
        for row in curve.rows {
            #expect(row.survival == 1 && row.lower == 1 && row.upper == 1)
        }
        #expect(curve.medianLife == nil)
        #expect(curve.medianUpper == nil)
    }

    @Test func allFailedEndsAtZeroWithBoundsZero() throws {
        let curve = try KaplanMeierCurve(lives: [3, 4, 4, 5], failed: [true, true, true, true])
        let last = try #require(curve.rows.last)
        #expect(last.time == 5 && last.survival == 0 && last.lower == 0 && last.upper == 0)
        // S(4) = 3/4 · 1/3 = 1/4: the first time at or below one half.
        #expect(curve.medianLife == 4)
        #expect(abs(curve.rows[2].survival - 0.25) < 1e-15)
        for row in curve.rows { #expect(row.lower <= row.survival && row.survival <= row.upper) }
    }

    @Test func oneFailedCell() throws {
        let curve = try KaplanMeierCurve(lives: [7], failed: [true])
        #expect(curve.rows.map(\.time) == [0, 7])
        #expect(curve.rows.map(\.survival) == [1, 0])
        #expect(curve.medianLife == 7)
    }

    @Test func oneCensoredCell() throws {
        let curve = try KaplanMeierCurve(lives: [7], failed: [false])
        #expect(curve.rows.map(\.survival) == [1, 1])
        #expect(curve.medianLife == nil)
    }

    /// A failure and a censoring at the same life: the failure counts first, so the censored
    /// cell is still in the risk set for it (n = 4, not 3).
    @Test func failureBeforeCensoringAtTheSameLife() throws {
        let curve = try KaplanMeierCurve(lives: [2, 2, 2, 3], failed: [true, false, true, true])
        let tied = curve.rows[1]
        #expect(tied.time == 2 && tied.atRisk == 4 && tied.failed == 2 && tied.censored == 1)
        #expect(tied.survival == 0.5)
        #expect(curve.rows[2].atRisk == 1)
        #expect(curve.medianLife == 2)
    }

    /// lifelines starts the curve at 0 only when no cell has life 0; a failure at 0 is the first row.
    @Test func failureAtLifeZeroIsTheFirstRow() throws {
        let curve = try KaplanMeierCurve(lives: [0, 0, 2, 3], failed: [true, false, true, false])
        #expect(curve.rows.map(\.time) == [0, 2, 3])
        #expect(curve.rows[0].survival == 0.75)
        #expect(curve.rows[1].survival == 0.375)
    }

    /// S = 3/4 · 2/3 is exactly one half, and is the median even if rounding says 0.5000000000000001.
    @Test func exactHalfIsTheMedian() throws {
        let curve = try KaplanMeierCurve(lives: [2, 4, 6, 8], failed: [true, true, false, false])
        #expect(curve.medianLife == 4)
        // Exactly one half, whichever side of 0.5 the rounded product fell on.
        #expect(KaplanMeierCurve.isAtMostHalf(0.5000000000000001, factors: [(3, 4), (2, 3)]))
        #expect(KaplanMeierCurve.isAtMostHalf(0.5000000000000001, factors: [(5, 6), (3, 5)]))
        #expect(KaplanMeierCurve.isAtMostHalf(0.49999999999999994, factors: [(7, 8), (4, 7)]))
        // Close to one half but not equal: decided by the exact value, not the rounding.
        #expect(!KaplanMeierCurve.isAtMostHalf(0.5000000005, factors: [(1_000_000_001, 2_000_000_000)]))
        #expect(KaplanMeierCurve.isAtMostHalf(0.4999999995, factors: [(999_999_999, 2_000_000_000)]))
        #expect(!KaplanMeierCurve.isAtMostHalf(0.51, factors: [(51, 100)]))
    }

    @Test func unsortedInputGivesTheSameCurveAsSorted() throws {
        let lives = [9.0, 1, 5, 5, 3, 12, 7]
        let failed = [true, false, true, false, true, true, false]
        let order = lives.indices.sorted { lives[$0] < lives[$1] }
        let a = try KaplanMeierCurve(lives: lives, failed: failed)
        let b = try KaplanMeierCurve(lives: order.map { lives[$0] }, failed: order.map { failed[$0] })
        #expect(a == b)
    }

    @Test func survivalAtLooksUpTheStep() throws {
        let curve = try KaplanMeierCurve(lives: [2, 4, 6, 8], failed: [true, true, false, false])
        #expect(curve.survival(at: 1.9) == 1)
        #expect(curve.survival(at: 2) == 0.75)
        #expect(curve.survival(at: 100) == curve.rows.last!.survival)
    }

    @Test func refusesNoCellsAndBadLives() {
        #expect(throws: SurvivalInputError.noCells(group: "g")) { try KaplanMeierCurve(lives: [], failed: [], group: "g") }
        #expect(throws: SurvivalInputError.self) { try KaplanMeierCurve(lives: [1, -2], failed: [true, true]) }
        #expect(throws: SurvivalInputError.self) { try KaplanMeierCurve(lives: [1, .nan], failed: [true, true]) }
    }
}
