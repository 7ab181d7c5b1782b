import CellModel

/// The closest each rule came to firing over a test, kept as the detector runs (a compare per
/// sample for the per-sample rules, per step or cycle for the others), so `detect --explain`
/// can show how near a healthy cell came to an alarm. NaN: the rule never judged anything.
struct RuleMargins: Codable, Sendable {
    var overpotentialRatioMax = Double.nan
    var areaSpecificResistanceMax = Double.nan
    var h1VoltageMin = Double.nan
    var h1LimitAtMin = Double.nan
    var h2VoltageAboveThresholdMin = Double.nan
    var s3RatioToPeakMin = Double.nan
    var s5ChargeRatioMax = Double.nan
    var s6CoulombicEfficiencyMin = Double.nan
    var e1StateOfHealthMin = Double.nan
    var e2SlopeMin = Double.nan
    var r1RatioMax = Double.nan
    var judgedCycles = 0

    static func larger(_ current: Double, _ value: Double) -> Double { current.isNaN || value > current ? value : current }
    static func smaller(_ current: Double, _ value: Double) -> Double { current.isNaN || value < current ? value : current }
}

/// A rule's closest approach: `value` against `threshold`, firing when `value` crosses it in
/// the direction `firesAbove` says.
public struct RuleMargin: Sendable, Hashable, Codable {
    public var rule: DetectionRule
    public var quantity: String
    public var value: Double
    public var threshold: Double
    public var firesAbove: Bool

    /// How far from firing, as a fraction of the threshold (negative: crossed).
    public var relativeMargin: Double {
        guard threshold != 0 else { return firesAbove ? -value : value }
        return (firesAbove ? threshold - value : value - threshold) / abs(threshold)
    }
}

/// What `detect --explain` prints per test: the window and baselines the detector settled on and
/// each rule's margin at the end.
public struct DetectionExplanation: Sendable, Hashable, Codable {
    public struct Baseline: Sendable, Hashable, Codable {
        public var name: String
        public var value: Double
    }

    public var cellType: CellType
    public var workingElectrode: WorkingElectrode?
    public var window: OperatingWindow
    public var baselines: [Baseline]
    public var margins: [RuleMargin]
    public var cyclesSeen: Int
}

extension CellDetector {
    public var explanation: DetectionExplanation {
        var baselines: [DetectionExplanation.Baseline] = []
        func add(_ name: String, _ value: Double) {
            if value.isFinite { baselines.append(.init(name: name, value: value)) }
        }
        for bucket in buckets.sorted(by: { $0.levelAmperes < $1.levelAmperes }) {
            let level = "at \(Self.engineering(bucket.levelAmperes, unit: "A"))"
            add("plateau overpotential reference \(level) (V)", bucket.overpotentialReference)
            add("plateau noise reference \(level) (V)", bucket.noiseReference)
            add("half-cycle capacity reference \(level) (Ah)", bucket.capacityReference)
            add("DC resistance reference \(level) (Ω)", bucket.resistanceReference)
            add("post-charge rest slope baseline, early, \(level) (V/h)", bucket.restEarlyBaseline)
            add("post-charge rest slope baseline, late, \(level) (V/h)", bucket.restLateBaseline)
        }
        if cell.cellType != .symmetric {
            add("capacity reference (Ah)", fullCell.capacityReference)
            add("capacity reference discharge current (A)", fullCell.referenceDischargeLevel)
            add("coulombic efficiency baseline", fullCell.coulombicEfficiencyBaseline)
            add("end-of-charge voltage reference (V)", fullCell.chargeEndVoltageReference)
            add("charge noise reference (V)", fullCell.chargeNoiseReference)
            add("H2 threshold (V)", h2ThresholdVolts)
        }
        var result: [RuleMargin] = []
        func margin(_ rule: DetectionRule, _ quantity: String, _ value: Double, _ threshold: Double, above: Bool) {
            if value.isFinite, threshold.isFinite {
                result.append(RuleMargin(rule: rule, quantity: quantity, value: value, threshold: threshold, firesAbove: above))
            }
        }
        switch cell.cellType {
        case .symmetric:
            margin(.P1, "largest plateau overpotential / reference", margins.overpotentialRatioMax, thresholds.p1Ratio, above: true)
            margin(.P2, "largest plateau overpotential / reference", margins.overpotentialRatioMax, thresholds.p2Ratio, above: true)
            margin(.P3, "largest area-specific resistance (Ω·cm²)", margins.areaSpecificResistanceMax,
                   thresholds.p3AreaSpecificResistanceOhmSquareCentimeters, above: true)
            margin(.H1, "lowest |V| under current (V)", margins.h1VoltageMin, margins.h1LimitAtMin, above: false)
            margin(.S3, "lowest plateau / running peak", margins.s3RatioToPeakMin, thresholds.s3Ratio, above: false)
        case .half, .full:
            margin(.H2, "lowest V − threshold while not discharging (V)", margins.h2VoltageAboveThresholdMin, 0, above: false)
            margin(.S5, "largest charge / capacity reference", margins.s5ChargeRatioMax, thresholds.s5Ratio, above: true)
            margin(.S6, "lowest coulombic efficiency of a judged cycle", margins.s6CoulombicEfficiencyMin, thresholds.s6CoulombicEfficiency, above: false)
            margin(.E1, "lowest state of health", margins.e1StateOfHealthMin, thresholds.e1StateOfHealth, above: false)
            margin(.E2, "steepest 5-cycle SOH slope (per cycle)", margins.e2SlopeMin, thresholds.e2SlopePerCycle, above: false)
        }
        margin(.R1, "largest DC resistance / reference", margins.r1RatioMax, thresholds.r1Ratio, above: true)
        return DetectionExplanation(
            cellType: cell.cellType, workingElectrode: cell.workingElectrode, window: window,
            baselines: baselines, margins: result, cyclesSeen: margins.judgedCycles
        )
    }

    static func engineering(_ value: Double, unit: String) -> String {
        let magnitude = abs(value)
        let (scale, prefix): (Double, String) = magnitude >= 1 ? (1, "") : magnitude >= 1e-3 ? (1e3, "m") : magnitude >= 1e-6 ? (1e6, "µ") : (1e9, "n")
        return "\(((value * scale) * 1000).rounded() / 1000) \(prefix)\(unit)"
    }
}
