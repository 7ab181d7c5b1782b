import Foundation
import Testing
@testable import CellStatistics

@Suite struct IncompleteGammaTests {
    @Test func matchesScipyGammaincAndGammaincc() {
        let cases = ReferenceData.special["gamma"] as! [[String: Any]]
        #expect(cases.count > 50)
        for entry in cases {
            let a = double(entry["a"])!, x = double(entry["x"])!
            let p = double(entry["p"])!, q = double(entry["q"])!
            let gotP = IncompleteGamma.regularizedLower(a, x)
            let gotQ = IncompleteGamma.regularizedUpper(a, x)
            // Relative accuracy on whichever tail is small, absolute on the other.
            #expect(abs(gotP - p) <= 1e-13 + 1e-10 * p, "P(\(a), \(x)) = \(gotP), scipy \(p)")
            #expect(abs(gotQ - q) <= 1e-13 + 1e-10 * q, "Q(\(a), \(x)) = \(gotQ), scipy \(q)")
            #expect(gotP >= 0 && gotP <= 1 && gotQ >= 0 && gotQ <= 1)
        }
    }

    @Test func chiSquareTailMatchesScipy() {
        let cases = ReferenceData.special["chi2"] as! [[String: Any]]
        for entry in cases {
            let df = entry["df"] as! Int
            let x = double(entry["x"])!, p = double(entry["p"])!
            let got = IncompleteGamma.chiSquareSurvival(x, degreesOfFreedom: df)
            #expect(abs(got - p) <= 1e-14 + 1e-10 * p, "chi2.sf(\(x), \(df)) = \(got), scipy \(p)")
        }
    }

    @Test func knownClosedForms() {
        // Q(1, x) = e^−x; the chi-square 1-df 5 % critical value.
        for x in [0.1, 1.0, 7.0, 40.0] {
            #expect(abs(IncompleteGamma.regularizedUpper(1, x) - exp(-x)) <= 1e-15 + 1e-12 * exp(-x))
        }
        #expect(abs(IncompleteGamma.chiSquareSurvival(3.841458820694124, degreesOfFreedom: 1) - 0.05) < 1e-12)
        #expect(IncompleteGamma.chiSquareSurvival(0, degreesOfFreedom: 3) == 1)
        #expect(IncompleteGamma.regularizedLower(2, .infinity) == 1)
        #expect(IncompleteGamma.regularizedUpper(2, .nan).isNaN)
    }
}
