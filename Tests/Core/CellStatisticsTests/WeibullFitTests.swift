import Foundation
import Testing
@testable import CellStatistics

@Suite struct WeibullFitTests {
    /// Deterministic Weibull lives by inverse CDF on a low-discrepancy grid.
    static func lives(shape: Double, scale: Double, count: Int) -> [Double] {
        (0..<count).map { i in
            let u = (Double(i) + 0.5) / Double(count)
            return scale * pow(-log(1 - u), 1 / shape)
        }
    }

    @Test(arguments: [(0.6, 50.0), (1.0, 300.0), (2.5, 1200.0), (8.0, 90.0)])
    func recoversTheParametersOfAnUncensoredSample(shape: Double, scale: Double) throws {
        let lives = Self.lives(shape: shape, scale: scale, count: 4000)
        let fit = try WeibullFit(lives: lives, failed: Array(repeating: true, count: lives.count))
        #expect(relativeError(fit.shape, shape) < 0.02)
        #expect(relativeError(fit.scale, scale) < 0.02)
        #expect(relativeError(fit.b10, scale * pow(-log(0.9), 1 / shape)) < 0.03)
        #expect(fit.shapeInterval.lower < fit.shape && fit.shape < fit.shapeInterval.upper)
    }

    /// The profile score is zero at the optimum: the fit solves the likelihood equations.
    @Test func solvesTheLikelihoodEquationsWithCensoring() throws {
        let all = Self.lives(shape: 2, scale: 100, count: 60)
        let stop = 110.0
        let lives = all.map { min($0, stop) }
        let failed = all.map { $0 <= stop }
        let fit = try WeibullFit(lives: lives, failed: failed)
        let r = Double(failed.filter { $0 }.count)
        let sumZ = lives.reduce(0) { $0 + pow($1 / fit.scale, fit.shape) }
        #expect(abs(sumZ - r) < 1e-8 * r)
        // A small step in either parameter lowers the log-likelihood.
        func logLikelihood(_ shape: Double, _ scale: Double) -> Double {
            var value = 0.0
            for (t, f) in zip(lives, failed) {
                if f { value += log(shape) - shape * log(scale) + (shape - 1) * log(t) }
                value -= pow(t / scale, shape)
            }
            return value
        }
        let best = logLikelihood(fit.shape, fit.scale)
        #expect(abs(best - fit.logLikelihood) < 1e-9 * abs(best))
        for (ds, dl) in [(1e-3, 0.0), (-1e-3, 0.0), (0.0, 1e-3), (0.0, -1e-3)] {
            #expect(logLikelihood(fit.shape * (1 + ds), fit.scale * (1 + dl)) < best)
        }
    }

    @Test func scalesWithTheLifeUnit() throws {
        let lives = [12.0, 30, 41, 55, 55, 70, 90, 120]
        let failed = [true, true, false, true, true, false, true, false]
        let cycles = try WeibullFit(lives: lives, failed: failed)
        let hours = try WeibullFit(lives: lives.map { $0 * 3600 }, failed: failed)
        #expect(relativeError(hours.shape, cycles.shape) < 1e-10)
        #expect(relativeError(hours.scale, cycles.scale * 3600) < 1e-10)
    }

    @Test func fitsFromASingleFailureWithoutNaN() throws {
        let fit = try WeibullFit(lives: [10, 20, 30, 40], failed: [true, false, false, false])
        #expect(fit.shape.isFinite && fit.scale.isFinite && fit.b10.isFinite)
        #expect(fit.shape > 0 && fit.scale > 0)
    }

    @Test func saysWhyWhenThereIsNoFiniteFit() {
        // Every failure at the longest life: the likelihood grows without bound in the shape.
        #expect(throws: WeibullFit.FitError.shapeUnbounded) {
            try WeibullFit(lives: [5, 5, 5], failed: [true, true, true])
        }
        #expect(throws: WeibullFit.FitError.shapeUnbounded) {
            try WeibullFit(lives: [2, 3, 9, 9], failed: [false, false, true, true])
        }
        #expect(throws: WeibullFit.FitError.noFailures) {
            try WeibullFit(lives: [5, 6], failed: [false, false])
        }
        #expect(throws: WeibullFit.FitError.nonPositiveLife(0)) {
            try WeibullFit(lives: [0, 6, 7], failed: [true, true, true])
        }
    }

    @Test func extremeButValidDataStillConverges() throws {
        // Lives over twelve decades and a near-degenerate cluster: finite answers, no hang.
        let wide = try WeibullFit(lives: [1e-6, 1e-3, 1, 1e3, 1e6], failed: [true, true, true, true, false])
        #expect(wide.shape.isFinite && wide.scale.isFinite)
        let tight = try WeibullFit(lives: [100, 100.0001, 100.0002, 100.0003], failed: [true, true, true, true])
        #expect(tight.shape > 1000 && tight.shape.isFinite)
        #expect(abs(tight.scale - 100.0002) < 0.01)
    }
}
