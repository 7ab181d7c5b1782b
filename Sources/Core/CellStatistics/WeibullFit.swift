import Foundation

/// Two-parameter Weibull life distribution fitted by maximum likelihood with right-censoring,
/// F(t) = 1 − exp(−(t/scale)^shape), parameterised as lifelines' `WeibullFitter`
/// (lambda_ = scale, rho_ = shape) so the numbers can be checked against it.
///
/// The shape is found on the profile likelihood, whose score in the shape is strictly
/// increasing: Newton steps inside a sign-change bracket, bisection whenever Newton would leave
/// it. So the fit converges or says why not; it never loops or hands back NaN.
public struct WeibullFit: Sendable, Equatable {
    public enum FitError: Error, Equatable, CustomStringConvertible {
        case noFailures
        case nonPositiveLife(Double)
        /// Every failure at the longest life: the likelihood keeps rising as the shape grows.
        case shapeUnbounded

        public var description: String {
            switch self {
            case .noFailures: return "no failures to fit"
            case .nonPositiveLife(let life): return "a Weibull fit needs lives > 0 (found \(life))"
            case .shapeUnbounded:
                return "the shape has no finite estimate (the failures all sit at, or extremely near, the longest life)"
            }
        }
    }

    public struct Interval: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
    }

    public let shape: Double
    public let scale: Double
    /// Life by which 10 % of cells have failed: scale · (−ln 0.9)^(1/shape).
    public let b10: Double
    public let shapeStandardError: Double
    public let scaleStandardError: Double
    /// Wald intervals estimate ± z·se from the observed information, as lifelines reports them
    /// (the lower end can fall below 0 when there are few failures: that says "unknown").
    public let shapeInterval: Interval
    public let scaleInterval: Interval
    /// Delta method on log B10, so the interval stays on positive lives.
    public let b10Interval: Interval
    public let logLikelihood: Double
    public let failures: Int
    public let cells: Int

    public init(lives: [Double], failed: [Bool]) throws {
        precondition(lives.count == failed.count, "one event flag per life")
        for life in lives where !(life > 0 && life.isFinite) { throw FitError.nonPositiveLife(life) }
        let failures = failed.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard failures > 0 else { throw FitError.noFailures }

        // Work with u = ln t − ln t_max ≤ 0 so that t^β never overflows.
        let logMax = log(lives.max()!)
        let u = lives.map { log($0) - logMax }
        var failureMeanU = 0.0
        for i in u.indices where failed[i] { failureMeanU += u[i] }
        failureMeanU /= Double(failures)
        let r = Double(failures)
        // g(∞) = −mean failure u, which is 0 exactly when every failure is at the longest life.
        if failureMeanU == 0 { throw FitError.shapeUnbounded }

        /// Score of the profile likelihood and its derivative; increasing in β.
        func score(_ beta: Double) -> (value: Double, slope: Double) {
            var sumW = 0.0, sumWU = 0.0, sumWUU = 0.0
            for x in u {
                let w = exp(beta * x)
                sumW += w
                sumWU += w * x
                sumWUU += w * x * x
            }
            let mean = sumWU / sumW
            let variance = max(0, sumWUU / sumW - mean * mean)
            return (mean - 1 / beta - failureMeanU, variance + 1 / (beta * beta))
        }

        // Bracket the root: g → −∞ as β → 0, and g(∞) = −mean failure u ≥ 0.
        var low = 1.0, high = 1.0
        while score(low).value > 0 {
            low /= 2
            if low < 1e-8 { throw FitError.shapeUnbounded } // cannot happen for finite data
        }
        while score(high).value < 0 {
            high *= 2
            if high > 1e8 { throw FitError.shapeUnbounded }
        }
        var beta = (low + high) / 2
        if score(low).value == 0 { beta = low } else if score(high).value == 0 { beta = high }
        for _ in 0..<200 {
            let (g, slope) = score(beta)
            if g == 0 { break }
            if g < 0 { low = beta } else { high = beta }
            var next = beta - g / slope
            if !(next > low && next < high) { next = (low + high) / 2 }
            let converged = abs(next - beta) <= 1e-13 * beta
            beta = next
            if converged || high - low <= 1e-14 * high { break }
        }

        var sumW = 0.0
        for x in u { sumW += exp(beta * x) }
        let logScale = logMax + log(sumW / r) / beta
        let scale = exp(logScale)

        // Log-likelihood and its Hessian in (scale, shape) at the optimum.
        var sumZ = 0.0, sumZL = 0.0, sumZLL = 0.0, sumFailureLogT = 0.0
        for i in lives.indices {
            let l = log(lives[i]) - logScale
            let z = exp(beta * l)
            sumZ += z
            sumZL += z * l
            sumZLL += z * l * l
            if failed[i] { sumFailureLogT += log(lives[i]) }
        }
        let logLikelihood = r * log(beta) - r * beta * logScale + (beta - 1) * sumFailureLogT - sumZ
        let hScaleScale = beta / (scale * scale) * (r - (1 + beta) * sumZ)
        let hShapeShape = -r / (beta * beta) - sumZLL
        let hScaleShape = -r / scale + sumZ / scale + beta / scale * sumZL
        // Covariance = inverse of the observed information −H.
        let a = -hScaleScale, b = -hScaleShape, d = -hShapeShape
        let determinant = a * d - b * b
        let varScale = determinant > 0 ? d / determinant : .infinity
        let varShape = determinant > 0 ? a / determinant : .infinity
        let covariance = determinant > 0 ? -b / determinant : 0

        let z = KaplanMeierCurve.z95
        let logC = log(-log(0.9))
        let b10 = exp(logScale + logC / beta)
        // d ln B10 / d scale = 1/scale, d ln B10 / d shape = −ln c / shape².
        let gScale = 1 / scale, gShape = -logC / (beta * beta)
        let varLogB10 = gScale * gScale * varScale + gShape * gShape * varShape + 2 * gScale * gShape * covariance

        self.shape = beta
        self.scale = scale
        self.b10 = b10
        self.shapeStandardError = varShape.squareRoot()
        self.scaleStandardError = varScale.squareRoot()
        self.shapeInterval = Interval(lower: beta - z * shapeStandardError, upper: beta + z * shapeStandardError)
        self.scaleInterval = Interval(lower: scale - z * scaleStandardError, upper: scale + z * scaleStandardError)
        let seLogB10 = max(0, varLogB10).squareRoot()
        self.b10Interval = Interval(lower: b10 * exp(-z * seLogB10), upper: b10 * exp(z * seLogB10))
        self.logLikelihood = logLikelihood
        self.failures = failures
        self.cells = lives.count
    }
}
