import Foundation
import Testing
@testable import CellStatistics

/// Every committed data set (heavy censoring, ties, single-cell groups, all-censored and
/// all-failed groups, a singular log-rank covariance) against lifelines' and scipy's numbers.
@Suite struct LifelinesAgreementTests {
    @Test(arguments: ReferenceData.datasetNames)
    func kaplanMeierMatchesLifelines(dataset: String) throws {
        let report = try SurvivalReport(cells: LifeTable.read(csv: ReferenceData.csv(dataset)))
        let expected = ReferenceData.datasets[dataset]!["groups"] as! [String: [String: Any]]
        #expect(report.groups.map(\.name) == expected.keys.sorted())
        for group in report.groups {
            let reference = expected[group.name]!
            #expect(group.cells == reference["n"] as! Int)
            #expect(group.failures == reference["events"] as! Int)
            #expect(group.censored == reference["censored"] as! Int)
            #expect(group.kaplanMeier.medianLife == double(reference["median"]), "\(dataset)/\(group.name) median")
            let rows = reference["km"] as! [[String: Any]]
            try #require(group.kaplanMeier.rows.count == rows.count, "\(dataset)/\(group.name) KM rows")
            for (row, want) in zip(group.kaplanMeier.rows, rows) {
                #expect(row.time == double(want["time"])!)
                #expect(abs(row.survival - double(want["survival"])!) <= 1e-9)
                #expect(abs(row.lower - double(want["lower"])!) <= 1e-9, "\(dataset)/\(group.name) lower at \(row.time)")
                #expect(abs(row.upper - double(want["upper"])!) <= 1e-9, "\(dataset)/\(group.name) upper at \(row.time)")
            }
        }
    }

    @Test(arguments: ReferenceData.datasetNames)
    func weibullMatchesLifelines(dataset: String) throws {
        let report = try SurvivalReport(cells: LifeTable.read(csv: ReferenceData.csv(dataset)))
        let expected = ReferenceData.datasets[dataset]!["groups"] as! [String: [String: Any]]
        for group in report.groups {
            let reference = expected[group.name]!["weibull"] as? [String: Any]
            #expect((group.weibull != nil) == (reference != nil), "\(dataset)/\(group.name): fitted from 3 failures up")
            guard let fit = group.weibull, let reference else { continue }
            let label = "\(dataset)/\(group.name)"
            #expect(relativeError(fit.shape, double(reference["shape"])!) < 1e-4, "\(label) shape")
            #expect(relativeError(fit.scale, double(reference["scale"])!) < 1e-4, "\(label) scale")
            #expect(relativeError(fit.b10, double(reference["b10"])!) < 1e-4, "\(label) b10")
            #expect(abs(fit.logLikelihood - double(reference["log_likelihood"])!) < 1e-6, "\(label) log-likelihood")
            #expect(relativeError(fit.shapeStandardError, double(reference["shape_se"])!) < 1e-3, "\(label) shape se")
            #expect(relativeError(fit.scaleStandardError, double(reference["scale_se"])!) < 1e-3, "\(label) scale se")
            #expect(relativeError(fit.shapeInterval.lower, double(reference["shape_lower"])!) < 1e-3)
            #expect(relativeError(fit.shapeInterval.upper, double(reference["shape_upper"])!) < 1e-3)
            #expect(relativeError(fit.scaleInterval.lower, double(reference["scale_lower"])!) < 1e-3)
            #expect(relativeError(fit.scaleInterval.upper, double(reference["scale_upper"])!) < 1e-3)
            #expect(fit.b10Interval.lower < fit.b10 && fit.b10 < fit.b10Interval.upper)
        }
    }

    @Test(arguments: ReferenceData.datasetNames)
    func logRankMatchesLifelinesAndScipy(dataset: String) throws {
        let report = try SurvivalReport(cells: LifeTable.read(csv: ReferenceData.csv(dataset)))
        let reference = ReferenceData.datasets[dataset]!["logrank"] as! [String: Any]
        let test = try #require(report.logRank)
        #expect(test.degreesOfFreedom == reference["df"] as! Int)
        #expect(relativeError(test.chiSquare, double(reference["chi2"])!) < 1e-9, "\(dataset) chi2")
        #expect(relativeError(test.pValue, double(reference["p"])!) < 1e-9, "\(dataset) p")
        if let scipyZ = double(reference["scipy_statistic"]) {
            // scipy.stats.logrank returns Z; its square is the two-sample chi-square.
            #expect(relativeError(test.chiSquare, scipyZ * scipyZ) < 1e-9)
        }
    }

    /// lifelines sums logarithms and misses S = 1/2 in these two groups; the exact median is the
    /// reference (the script prints both).
    @Test func medianIsExactWhereLifelinesMissesOneHalf() throws {
        let ties = try SurvivalReport(cells: LifeTable.read(csv: ReferenceData.csv("ties_heavy_censoring")))
        let bare = try #require(ties.groups.first { $0.name == "bare" })
        #expect(bare.kaplanMeier.medianLife == 70)
        let row = try #require(bare.kaplanMeier.rows.first { $0.time == 70 })
        #expect(abs(row.survival - 0.5) < 1e-15)
    }
}
