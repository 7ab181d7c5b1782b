import Foundation

/// Regularized incomplete gamma functions, needed for chi-square p-values of the log-rank test.
///
/// P(a, x) by its power series where it converges fast (x < a + 1) and Q(a, x) by Lentz's
/// continued fraction elsewhere; computing the small tail directly (instead of 1 − the big one)
/// keeps tiny p-values accurate.
public enum IncompleteGamma {
    /// P(a, x) = γ(a, x) / Γ(a).
    public static func regularizedLower(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "shape a must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 0 }
        if x == .infinity { return 1 }
        if x < a + 1 { return lowerSeries(a, x) }
        return 1 - upperContinuedFraction(a, x)
    }

    /// Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x).
    public static func regularizedUpper(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "shape a must be positive")
        if x.isNaN { return .nan }
        if x <= 0 { return 1 }
        if x == .infinity { return 0 }
        if x < a + 1 { return 1 - lowerSeries(a, x) }
        return upperContinuedFraction(a, x)
    }

    /// Upper tail of the chi-square distribution: the p-value of a chi-square statistic.
    public static func chiSquareSurvival(_ statistic: Double, degreesOfFreedom: Int) -> Double {
        precondition(degreesOfFreedom > 0, "degrees of freedom must be positive")
        if statistic.isNaN { return .nan }
        if statistic <= 0 { return 1 }
        return regularizedUpper(Double(degreesOfFreedom) / 2, statistic / 2)
    }

    /// log of x^a e^−x / Γ(a), the prefactor shared by both expansions.
    private static func logPrefactor(_ a: Double, _ x: Double) -> Double {
        a * log(x) - x - lgamma(a)
    }

    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a
        var sum = term
        var denominator = a
        for _ in 0..<100_000 {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * 1e-17 { break }
        }
        return min(1, sum * exp(logPrefactor(a, x)))
    }

    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1...100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(1, exp(logPrefactor(a, x)) * h)
    }
}
