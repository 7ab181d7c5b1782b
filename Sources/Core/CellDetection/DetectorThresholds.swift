import Foundation

/// Every number the detectors compare against, with the defaults of docs/detectors.md (§1.2, §4–§6).
/// A test plan may override any of them; `cellfleet detect --threshold P2.ratio=5` reaches them
/// through `set(_:to:)` by the names in `DetectorThresholds.names`.
///
/// Voltages in V, times in s, currents in A, resistances in Ω·cm², slopes in V/h.
public struct DetectorThresholds: Codable, Sendable, Hashable {
    // MARK: shared machinery (docs/detectors.md §2, §3.1)
    /// Plateau statistics skip this much of each step (nucleation spike, RC transient) …
    public var transientSkipSeconds = 60.0
    /// … or this fraction of the planned (previous same-current) step, if that is longer.
    public var transientSkipFractionOfStep = 0.02
    /// Current-level buckets are this wide (relative), so baselines are compared only at one current.
    public var bucketRelativeWidth = 0.10
    /// |I| moving this far from the step's level for two samples opens a new step (rate steps).
    public var stepLevelTolerance = 0.10
    /// |I| at or below this fraction of the last step level counts as rest …
    public var restCurrentFraction = 0.02
    /// … with this absolute floor, for cycler current offsets.
    public var restCurrentFloorAmperes = 1e-9
    /// Half-cycles (symmetric) of a bucket used for the references: from … through … (1-based).
    public var referenceFirstHalfCycle = 3
    public var referenceLastHalfCycle = 12
    /// Minimum number of reference values before a reference is used.
    public var referenceMinimumCount = 4
    /// Full cells: capacity reference from cycles … through ….
    public var capacityReferenceFirstCycle = 2
    public var capacityReferenceLastCycle = 6
    /// A settled capacity reference moves to another discharge current once the cell has cycled
    /// steadily there for this many cycles (formation at C/10, then ageing at C/3).
    public var capacityReferenceSwitchCycles = 10

    // MARK: polarization (docs/detectors.md §4.1–§4.4)
    public var p1Ratio = 2.0
    public var p1HalfCycles = 3
    public var p2Ratio = 5.0
    public var p2HalfCycles = 2
    public var p3AreaSpecificResistanceOhmSquareCentimeters = 10_000.0
    public var p3HalfCycles = 2
    public var p4ClampFraction = 0.95
    public var p4ClampSeconds = 10.0
    public var p4CapacityFraction = 0.98
    /// A step "ended by a voltage limit" if its last |V| is at least this fraction of the clamp.
    public var p4VoltageLimitFraction = 0.90

    // MARK: shorts (docs/detectors.md §4.5–§4.8, §5.2–§5.6)
    public var h1AbsoluteVolts = 0.005
    public var h1ReferenceFractionCap = 0.25
    public var h1ReferenceFractionFloor = 0.10
    public var h1Samples = 3
    public var h1Seconds = 20.0
    /// H2's threshold is the cell's window minimum less `h2WindowMarginVolts`, at most `h2Volts`
    /// (2 V: LiCoO2's 3.0 V cut-off less 1 V, the value the rule was written with).
    public var h2Volts = 2.0
    public var h2WindowMarginVolts = 1.0
    /// An anode half cell's delithiation must leave the lithium potential: below this for
    /// `h2Seconds` under current it is shorted to its counter electrode.
    public var h2AnodeHalfCellVolts = 0.003
    public var h2Samples = 3
    public var h2Seconds = 30.0
    public var h2DropVolts = 0.5
    public var h2RecoverySeconds = 60.0
    public var s1RelativeDrop = 0.30
    public var s1NoiseMultiple = 6.0
    public var s1MinimumDropVolts = 0.003
    public var s1RecoverySeconds = 1800.0
    public var s1EventsPerHalfCycle = 3
    public var s1EventsPerWindow = 5
    public var s1WindowHalfCycles = 10
    public var s2NoiseMultiple = 5.0
    public var s2MinimumVolts = 0.003
    public var s2FractionOfOverpotential = 0.02
    public var s2HalfCycles = 2
    public var s3Ratio = 0.5
    public var s3HalfCycles = 3
    public var s3SmoothingFactor = 0.05
    public var s4MinimumStepVolts = 0.010
    public var s4NoiseMultiple = 6.0
    public var s4Count = 3
    public var s4ReferenceCycles = 5
    public var s5Ratio = 1.3
    public var s6CoulombicEfficiency = 0.90
    public var s6Cycles = 2
    public var s6FirstCycle = 3
    public var s6WarnDropPoints = 0.02
    public var s6WarnWindowCycles = 10
    /// S6 judges a cycle only when it and the cycles before it, this many in all, ran at the same
    /// charge and discharge currents: a rate step changes CE for a cycle or two (docs/detectors.md §5.5).
    public var s6SteadyCycles = 3
    public var s7RelativeSlopeVoltsPerHour = 0.005
    public var s7AbsoluteSlopeVoltsPerHour = 0.020
    public var s7BaselineSmoothingFactor = 0.1

    // MARK: capacity and resistance (docs/detectors.md §5.1, §5.7, §5.8, §6.1)
    public var e1StateOfHealth = 0.80
    public var e1Cycles = 2
    public var e2SlopePerCycle = -0.005
    public var e2Cycles = 2
    public var r1Ratio = 2.0

    // MARK: data quality (docs/detectors.md §6.2)
    public var q1GapSeconds = 3600.0
    public var q1CapacityMismatch = 0.01
    public var q1FrozenSamples = 30
    public var q1TemperatureExcessCelsius = 5.0
    public var q1TemperatureRateCelsiusPerMinute = 1.0
    /// The rate is taken over at least this span, so a sensor's 0.1 °C quantisation at 1 s
    /// logging (6 °C/min between two samples) is not a fast change.
    public var q1TemperatureRateSpanSeconds = 60.0
    /// A Q1 note's episode ends after this much test time without a new occurrence of its kind.
    public var q1EpisodeQuietSeconds = 86_400.0

    public init() {}

    public static let defaults = DetectorThresholds()

    // Key paths are immutable values; the dictionaries are never mutated.
    nonisolated(unsafe) private static let realKeys: [String: WritableKeyPath<DetectorThresholds, Double>] = [
        "transientSkipSeconds": \.transientSkipSeconds,
        "transientSkipFraction": \.transientSkipFractionOfStep,
        "bucketWidth": \.bucketRelativeWidth,
        "stepLevelTolerance": \.stepLevelTolerance,
        "restCurrentFraction": \.restCurrentFraction,
        "restCurrentFloorAmperes": \.restCurrentFloorAmperes,
        "P1.ratio": \.p1Ratio, "P2.ratio": \.p2Ratio,
        "P3.asrOhmCm2": \.p3AreaSpecificResistanceOhmSquareCentimeters,
        "P4.clampFraction": \.p4ClampFraction, "P4.seconds": \.p4ClampSeconds,
        "P4.capacityFraction": \.p4CapacityFraction, "P4.voltageLimitFraction": \.p4VoltageLimitFraction,
        "H1.volts": \.h1AbsoluteVolts, "H1.referenceFractionCap": \.h1ReferenceFractionCap,
        "H1.referenceFractionFloor": \.h1ReferenceFractionFloor, "H1.seconds": \.h1Seconds,
        "H2.volts": \.h2Volts, "H2.seconds": \.h2Seconds, "H2.dropVolts": \.h2DropVolts,
        "H2.recoverySeconds": \.h2RecoverySeconds,
        "H2.windowMarginVolts": \.h2WindowMarginVolts, "H2.anodeHalfCellVolts": \.h2AnodeHalfCellVolts,
        "S1.relativeDrop": \.s1RelativeDrop, "S1.noiseMultiple": \.s1NoiseMultiple,
        "S1.minimumDropVolts": \.s1MinimumDropVolts, "S1.recoverySeconds": \.s1RecoverySeconds,
        "S2.noiseMultiple": \.s2NoiseMultiple, "S2.minimumVolts": \.s2MinimumVolts,
        "S2.fractionOfOverpotential": \.s2FractionOfOverpotential,
        "S3.ratio": \.s3Ratio, "S3.alpha": \.s3SmoothingFactor,
        "S4.minimumStepVolts": \.s4MinimumStepVolts, "S4.noiseMultiple": \.s4NoiseMultiple,
        "S5.ratio": \.s5Ratio,
        "S6.ce": \.s6CoulombicEfficiency, "S6.warnDropPoints": \.s6WarnDropPoints,
        "S7.relativeSlopeVoltsPerHour": \.s7RelativeSlopeVoltsPerHour,
        "S7.absoluteSlopeVoltsPerHour": \.s7AbsoluteSlopeVoltsPerHour,
        "S7.alpha": \.s7BaselineSmoothingFactor,
        "E1.soh": \.e1StateOfHealth, "E2.slopePerCycle": \.e2SlopePerCycle,
        "R1.ratio": \.r1Ratio,
        "Q1.gapSeconds": \.q1GapSeconds, "Q1.capacityMismatch": \.q1CapacityMismatch,
        "Q1.temperatureExcessCelsius": \.q1TemperatureExcessCelsius,
        "Q1.temperatureRateCelsiusPerMinute": \.q1TemperatureRateCelsiusPerMinute,
        "Q1.temperatureRateSpanSeconds": \.q1TemperatureRateSpanSeconds,
        "Q1.episodeQuietSeconds": \.q1EpisodeQuietSeconds,
    ]

    nonisolated(unsafe) private static let countKeys: [String: WritableKeyPath<DetectorThresholds, Int>] = [
        "referenceFirstHalfCycle": \.referenceFirstHalfCycle,
        "referenceLastHalfCycle": \.referenceLastHalfCycle,
        "referenceMinimumCount": \.referenceMinimumCount,
        "capacityReferenceFirstCycle": \.capacityReferenceFirstCycle,
        "capacityReferenceLastCycle": \.capacityReferenceLastCycle,
        "capacityReferenceSwitchCycles": \.capacityReferenceSwitchCycles,
        "P1.halfCycles": \.p1HalfCycles, "P2.halfCycles": \.p2HalfCycles, "P3.halfCycles": \.p3HalfCycles,
        "H1.samples": \.h1Samples, "H2.samples": \.h2Samples,
        "S1.perHalfCycle": \.s1EventsPerHalfCycle, "S1.perWindow": \.s1EventsPerWindow,
        "S1.windowHalfCycles": \.s1WindowHalfCycles,
        "S2.halfCycles": \.s2HalfCycles, "S3.halfCycles": \.s3HalfCycles,
        "S4.count": \.s4Count, "S4.referenceCycles": \.s4ReferenceCycles,
        "S6.cycles": \.s6Cycles, "S6.firstCycle": \.s6FirstCycle, "S6.warnWindowCycles": \.s6WarnWindowCycles,
        "S6.steadyCycles": \.s6SteadyCycles,
        "E1.cycles": \.e1Cycles, "E2.cycles": \.e2Cycles,
        "Q1.frozenSamples": \.q1FrozenSamples,
    ]

    /// Every name `set(_:to:)` accepts.
    public static var names: [String] { (Array(realKeys.keys) + Array(countKeys.keys)).sorted() }

    public enum SettingError: Error, CustomStringConvertible, Equatable {
        case unknownName(String)
        case notANumber(name: String, text: String)
        case notACount(name: String, text: String)
        case malformed(String)

        public var description: String {
            switch self {
            case .unknownName(let name):
                "unknown threshold '\(name)'; known: \(DetectorThresholds.names.joined(separator: ", "))"
            case .notANumber(let name, let text): "threshold \(name): '\(text)' is not a finite number"
            case .notACount(let name, let text): "threshold \(name): '\(text)' is not a positive whole number"
            case .malformed(let text): "threshold '\(text)' is not of the form NAME=VALUE (e.g. P2.ratio=5)"
            }
        }
    }

    public mutating func set(_ name: String, to text: String) throws(SettingError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let key = Self.realKeys[name] {
            guard let value = Double(trimmed), value.isFinite else { throw .notANumber(name: name, text: text) }
            self[keyPath: key] = value
        } else if let key = Self.countKeys[name] {
            guard let value = Int(trimmed), value > 0 else { throw .notACount(name: name, text: text) }
            self[keyPath: key] = value
        } else {
            throw .unknownName(name)
        }
    }

    /// Parses `NAME=VALUE`, the CLI's spelling.
    public mutating func apply(assignment: String) throws(SettingError) {
        guard let equals = assignment.firstIndex(of: "=") else { throw .malformed(assignment) }
        let name = assignment[..<equals].trimmingCharacters(in: .whitespaces)
        try set(name, to: String(assignment[assignment.index(after: equals)...]))
    }
}
