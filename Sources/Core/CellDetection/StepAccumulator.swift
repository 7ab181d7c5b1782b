/// The open step's running sums (docs/detectors.md §3.3), updated per sample and turned into a `StepSummary`
/// at close. References of the step's current bucket are copied in at open so that the per-sample
/// rules never touch the bucket table.
struct StepAccumulator: Codable, Sendable {
    var number: Int
    var kind: StepKind
    var cycle: Int
    var cyclerStep: Int32
    var startTime: Double
    var levelAmperes: Double
    var bucketIndex: Int
    var startVoltage: Double
    var skipSeconds: Double

    var capacityAmpHours = 0.0
    var energyWattHours = 0.0
    var lastTime: Double
    var lastCurrent: Double
    var lastVoltage: Double
    var lastDeglitchedVoltage: Double
    /// The two deglitched voltages before the latest, NaN until the step has them.
    var previousDeglitchedVoltage = Double.nan
    var secondPreviousDeglitchedVoltage = Double.nan
    var sampleCount = 1
    var outOfLevelCount = 0

    // plateau statistics on the deglitched |V|
    var plateauIntegralVoltSeconds = 0.0
    var plateauSeconds = 0.0
    var plateauSum = 0.0
    var plateauCount = 0
    var lastPlateauTime = Double.nan
    var lastPlateauAbsVoltage = Double.nan
    var lastPlateauVoltage = Double.nan
    var secondLastPlateauVoltage = Double.nan
    var noiseSum = 0.0
    var noiseCount = 0
    var maxAbsVoltage = 0.0
    var transientMaxAbsVoltage = 0.0
    var end1 = Double.nan, end2 = Double.nan, end3 = Double.nan

    var temperatureMin = Double.infinity
    var temperatureMax = -Double.infinity
    var temperatureSum = 0.0
    var temperatureCount = 0

    /// References of the bucket at open (NaN when not yet known).
    var overpotentialReference: Double
    var noiseReference: Double

    /// S1 events that recovered during this step.
    var dropEvents = 0

    // S4 negative steps during charge
    var negativeSteps = 0

    // Q1 cross-check against the cycler's capacity column
    var cyclerCapacityStart: Double
    var cyclerCapacityLast: Double

    /// The value held while no step is open.
    static let placeholder = StepAccumulator(
        number: 0, kind: .rest, cycle: 0, cyclerStep: RawPoint.absent, startTime: 0, levelAmperes: 0, bucketIndex: -1,
        startVoltage: 0, skipSeconds: 0, lastTime: 0, lastCurrent: 0, lastVoltage: 0, lastDeglitchedVoltage: 0,
        overpotentialReference: .nan, noiseReference: .nan, cyclerCapacityStart: .nan, cyclerCapacityLast: .nan
    )

    var plateauMean: Double? {
        if plateauSeconds > 0 { return plateauIntegralVoltSeconds / plateauSeconds }
        return plateauCount > 0 ? plateauSum / Double(plateauCount) : nil
    }

    var plateauNoise: Double? { noiseCount > 0 ? noiseSum / Double(noiseCount) : nil }

    var endAbsVoltage: Double {
        let values = [end1, end2, end3].filter { !$0.isNaN }
        return values.isEmpty ? abs(lastDeglitchedVoltage) : values.reduce(0, +) / Double(values.count)
    }

    func summary() -> StepSummary {
        let plateau = plateauMean
        return StepSummary(
            stepNumber: number, kind: kind, cycle: cycle,
            startTestTimeSeconds: startTime, endTestTimeSeconds: lastTime,
            levelAmperes: levelAmperes, capacityAmpHours: capacityAmpHours, energyWattHours: energyWattHours,
            startVoltageVolts: startVoltage, endVoltageVolts: lastVoltage, sampleCount: sampleCount,
            plateauMeanAbsVoltageVolts: plateau, maxAbsVoltageVolts: maxAbsVoltage,
            endAbsVoltageVolts: endAbsVoltage,
            nucleationSpikeVolts: plateau.map { transientMaxAbsVoltage - $0 },
            plateauNoiseVolts: plateauNoise,
            temperatureMinCelsius: temperatureCount > 0 ? temperatureMin : nil,
            temperatureMaxCelsius: temperatureCount > 0 ? temperatureMax : nil,
            temperatureMeanCelsius: temperatureCount > 0 ? temperatureSum / Double(temperatureCount) : nil
        )
    }
}
