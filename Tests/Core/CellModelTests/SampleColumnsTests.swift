import CellModel
import Testing

@Suite struct SampleColumnsTests {
    @Test func roundTripsSamplesThroughColumns() {
        let samples = (0..<5).map { i in
            Sample(
                unixTimeSeconds: 1_700_000_000 + Double(i), testTimeSeconds: Double(i),
                voltageVolts: 3.7 + Double(i) * 0.01, currentAmperes: -0.001,
                capacityAmpHours: Double(i) * 1e-6, temperatureCelsius: 25, stepIndex: 2,
                stepType: .constantCurrentDischarge, cycleIndex: 1)
        }
        let columns = SampleColumns(samples)
        #expect(columns.count == 5)
        #expect((0..<5).map { columns[$0] } == samples)
    }

    @Test func dropsAnOptionalColumnThatIsMissingForAnySample() {
        var columns = SampleColumns()
        columns.append(Sample(testTimeSeconds: 0, voltageVolts: 1, currentAmperes: 0, temperatureCelsius: 20))
        columns.append(Sample(testTimeSeconds: 1, voltageVolts: 1, currentAmperes: 0))
        columns.append(Sample(testTimeSeconds: 2, voltageVolts: 1, currentAmperes: 0, temperatureCelsius: 21))
        #expect(columns.temperatureCelsius.isEmpty)
        #expect(columns[2].temperatureCelsius == nil)
        #expect(columns.count == 3)
    }
}
