import CellModel
import SampleCompaction

extension Sample {
    /// A stored row as a sample: a NULL measurement (a non-finite value stored as NULL) is NaN
    /// again, a NULL step type unknown, a step type this build does not know `other`.
    public init(stored row: StoredSampleColumns.Row) {
        self.init(
            unixTimeSeconds: row.unixTimeSeconds ?? .nan, testTimeSeconds: row.testTimeSeconds ?? .nan, voltageVolts: row.voltageVolts ?? .nan,
            currentAmperes: row.currentAmperes ?? .nan, capacityAmpHours: row.capacityAmpHours, energyWattHours: row.energyWattHours,
            temperatureCelsius: row.temperatureCelsius, stepIndex: row.stepIndex,
            stepType: row.stepType.map { StepType(rawValue: Int32($0)) ?? .other } ?? .unknown, cycleIndex: row.cycleIndex)
    }
}
