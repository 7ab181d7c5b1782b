/// A run of samples stored column by column: the shape of a wire batch and of a COPY, and the
/// fast path for detectors that scan one quantity at a time.
///
/// Optional columns are either empty (not recorded for this run) or exactly `count` long.
public struct SampleColumns: Sendable, Hashable {
    public var unixTimeSeconds: [Double] = []
    public var testTimeSeconds: [Double] = []
    public var voltageVolts: [Double] = []
    public var currentAmperes: [Double] = []
    public var capacityAmpHours: [Double] = []
    public var energyWattHours: [Double] = []
    public var temperatureCelsius: [Double] = []
    public var stepIndex: [Int32] = []
    public var stepType: [StepType] = []
    public var cycleIndex: [Int32] = []

    public init() {}

    public init(_ samples: some Sequence<Sample>) {
        for sample in samples { append(sample) }
    }

    public var count: Int { testTimeSeconds.count }
    public var isEmpty: Bool { testTimeSeconds.isEmpty }

    /// Appends one sample. An optional column is kept only if every sample so far had it, so a
    /// run never mixes recorded and missing values in one column.
    public mutating func append(_ sample: Sample) {
        let index = count
        unixTimeSeconds.append(sample.unixTimeSeconds)
        testTimeSeconds.append(sample.testTimeSeconds)
        voltageVolts.append(sample.voltageVolts)
        currentAmperes.append(sample.currentAmperes)
        Self.appendOptional(sample.capacityAmpHours, to: &capacityAmpHours, at: index)
        Self.appendOptional(sample.energyWattHours, to: &energyWattHours, at: index)
        Self.appendOptional(sample.temperatureCelsius, to: &temperatureCelsius, at: index)
        Self.appendOptional(sample.stepIndex, to: &stepIndex, at: index)
        Self.appendOptional(sample.cycleIndex, to: &cycleIndex, at: index)
        stepType.append(sample.stepType)
    }

    private static func appendOptional<T>(_ value: T?, to column: inout [T], at index: Int) {
        if let value, column.count == index {
            column.append(value)
        } else if value == nil {
            column.removeAll()
        }
        // otherwise an earlier sample lacked this column: the run as a whole does not have it

    }

    public subscript(index: Int) -> Sample {
        Sample(
            unixTimeSeconds: unixTimeSeconds[index],
            testTimeSeconds: testTimeSeconds[index],
            voltageVolts: voltageVolts[index],
            currentAmperes: currentAmperes[index],
            capacityAmpHours: capacityAmpHours.isEmpty ? nil : capacityAmpHours[index],
            energyWattHours: energyWattHours.isEmpty ? nil : energyWattHours[index],
            temperatureCelsius: temperatureCelsius.isEmpty ? nil : temperatureCelsius[index],
            stepIndex: stepIndex.isEmpty ? nil : stepIndex[index],
            stepType: stepType[index],
            cycleIndex: cycleIndex.isEmpty ? nil : cycleIndex[index]
        )
    }
}
