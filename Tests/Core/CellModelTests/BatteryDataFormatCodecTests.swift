import CellModel
import Foundation
import PropertyBased
import Testing

/// The one BDF codec: its column table, samples written and read back (properties over random
/// runs), and the files the two earlier writers left behind.
@Suite struct BatteryDataFormatCodecTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    // MARK: the table

    @Test func theTableNamesEachColumnOnceWithItsUnitAndRule() {
        let names = BatteryDataFormat.columns.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(BatteryDataFormatCSV.requiredColumns == ["test_time_second", "current_ampere", "voltage_volt"])
        #expect(BatteryDataFormat.columns.filter { $0.missing == .refused }.map(\.unit) == ["s", "A", "V"])
        // Counts are integers in unit 1; measured quantities have a resolution.
        for column in BatteryDataFormat.columns where !column.isText {
            #expect(column.isInteger == (column.unit == "1"), "\(column.name)")
        }
        #expect(BatteryDataFormat.stepCount.name == "step_count" && BatteryDataFormat.stepID.name == "step_id")
        #expect(!names.contains("step_index"), "BDF's step_index counts data points within a step: never written")
    }

    @Test func layoutsOfSimulateAndConvert() {
        let full = Sample(testTimeSeconds: 0, voltageVolts: 3, currentAmperes: 0, temperatureCelsius: 25, stepIndex: 1, cycleIndex: 1)
        #expect(BatteryDataFormat.Layout.simulated(firstSample: full).columns.map(\.name)
                == ["test_time_second", "current_ampere", "voltage_volt", "temperature_celsius", "cycle_count", "step_count"])
        #expect(BatteryDataFormat.Layout.converted(hasUnixTime: true, hasTemperature: false).columns.map(\.name)
                == ["test_time_second", "unix_time_second", "current_ampere", "voltage_volt", "cycle_count", "step_count", "step_id", "record_index"])
    }

    // MARK: writing

    @Test func missingAndNonFiniteValuesAreEmptyFields() {
        let layout = BatteryDataFormat.Layout.converted(hasUnixTime: true, hasTemperature: true)
        let samples = [
            Sample(unixTimeSeconds: .nan, testTimeSeconds: 0, voltageVolts: 3, currentAmperes: 0.5, temperatureCelsius: .infinity),
            Sample(unixTimeSeconds: 1e9, testTimeSeconds: 1.5, voltageVolts: .nan, currentAmperes: -0.0, stepIndex: 7, cycleIndex: 2),
        ]
        let text = BatteryDataCSVWriter.csvText(samples, layout: layout)
        #expect(text == """
            test_time_second,unix_time_second,current_ampere,voltage_volt,temperature_celsius,cycle_count,step_count,step_id,record_index
            0.0,,0.5,3.0,,,1,,0
            1.5,1000000000.0,-0.0,,,2,2,7,1

            """)
        #expect(!BatteryDataCSVWriter.csvText(samples).contains("NaN"))
    }

    @Test func stepCountRunsOnAcrossRepeatedAndRestartedSteps() {
        // The instrument's steps 1, 2 repeat each cycle, then a restart begins at 1 again.
        let steps: [(step: Int32?, cycle: Int32?)] = [(1, 1), (1, 1), (2, 1), (1, 2), (2, 2), (2, 2), (1, 52), (1, 52)]
        var counter = BatteryDataFormat.StepCounter()
        let counts = steps.map { counter.advance(for: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0, stepIndex: $0.step, cycleIndex: $0.cycle)) }
        #expect(counts == [1, 1, 2, 3, 4, 4, 5, 5])
        // Without a step, a change of direction is a new step.
        var bare = BatteryDataFormat.StepCounter()
        let types: [StepType] = [.rest, .constantCurrentCharge, .constantVoltageCharge, .rest, .constantCurrentDischarge]
        #expect(types.map { bare.advance(for: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0, stepType: $0)) } == [1, 2, 2, 3, 4])
    }

    // MARK: round trips

    /// Any run written exactly reads back as the same columns, bit for bit (missing values as
    /// NaN, a cycle or step column as a whole).
    @Test func exactRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0 ... .max), Gen.int(in: 1...60), Gen.uint8(in: 0...31)) { seed, rows, presence in
            let run = RandomRun(seed: seed, rows: rows, presence: presence)
            let layout = BatteryDataFormat.Layout.converted(hasUnixTime: run.hasUnixTime, hasTemperature: run.hasTemperature)
            let text = BatteryDataCSVWriter.csvText(run.samples, layout: layout)
            let read = try BatteryDataFormatCSV.parse(text)
            #expect(read.count == rows)
            #expect(bits(read.testTimeSeconds) == bits(run.samples.map(\.testTimeSeconds)))
            #expect(bits(read.currentAmperes) == bits(run.samples.map(\.currentAmperes)))
            #expect(bits(read.voltageVolts) == bits(run.samples.map(\.voltageVolts)))
            #expect(bits(read.unixTimeSeconds) == bits(run.samples.map { run.hasUnixTime ? $0.unixTimeSeconds : .nan }))
            if run.hasTemperature {
                #expect(bits(read.temperatureCelsius) == bits(run.samples.map { $0.temperatureCelsius ?? .nan }))
            } else {
                #expect(read.temperatureCelsius.isEmpty)
            }
            #expect(read.cycleIndex == (run.hasCycle ? run.samples.map { $0.cycleIndex! } : []))
            #expect(read.stepIndex == (run.hasStep ? run.samples.map { $0.stepIndex! } : []), "step_id is the sample's step")
        }
    }

    /// At instrument resolution every value reads back within half a unit of its last decimal,
    /// and the step column carries the running count.
    @Test func resolutionRoundTrip() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0 ... .max), Gen.int(in: 1...60), Gen.uint8(in: 0...31)) { seed, rows, presence in
            let run = RandomRun(seed: seed, rows: rows, presence: presence, magnitudes: false)
            let read = try BatteryDataFormatCSV.parse(BatteryDataCSVWriter.csvText(run.samples))
            #expect(read.count == rows)
            func close(_ a: [Double], _ b: [Double], _ decimals: Int?) -> Bool {
                let tolerance = 0.5 * pow(10, -Double(decimals!)) * (1 + 1e-9)
                return a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance + 1e-15 * abs($1) }
            }
            #expect(close(read.testTimeSeconds, run.samples.map(\.testTimeSeconds), BatteryDataFormat.testTime.resolutionDecimals))
            #expect(close(read.currentAmperes, run.samples.map(\.currentAmperes), BatteryDataFormat.current.resolutionDecimals))
            #expect(close(read.voltageVolts, run.samples.map(\.voltageVolts), BatteryDataFormat.voltage.resolutionDecimals))
            if run.samples[0].stepIndex != nil {
                var counter = BatteryDataFormat.StepCounter()
                #expect(read.stepIndex == run.samples.map { Int32(counter.advance(for: $0)) })
            }
        }
    }

    // MARK: files of the earlier writers

    /// `simulate` of 0.1.0: the simulator's step number in `step_count`, reset to 1 by the
    /// channel restart. Read as it was written; the step boundaries (all the detector uses) are
    /// the same as those of the running count today's writer puts there.
    @Test func readsASimulatedFileOfTheOldWriter() throws {
        let read = try BatteryDataFormatCSV.read(contentsOf: Self.fixtures.appendingPathComponent("simulate-0.1.0-healthy-artefacts-restart.csv"))
        #expect(read.count == 13)
        #expect(read.testTimeSeconds.prefix(3) == [0, 60, 120])
        #expect(read.currentAmperes[0] == 0.0000785 && read.voltageVolts[0] == 0.174273 && read.temperatureCelsius[0] == 24.973)
        #expect(read.stepIndex.suffix(10) == [301, 301, 301, 301, 1, 1, 1, 1, 1, 1])
        #expect(read.cycleIndex.suffix(10) == [151, 151, 151, 151, 201, 201, 201, 201, 201, 201])
        #expect(read.unixTimeSeconds.allSatisfy { $0.isNaN })
        // Rewritten by the codec: the same boundaries, now counted on.
        let rewritten = try BatteryDataFormatCSV.parse(BatteryDataCSVWriter.csvText((0..<read.count).map { read[$0] }))
        func boundaries(_ steps: [Int32]) -> [Int] { steps.indices.dropFirst().filter { steps[$0] != steps[$0 - 1] } }
        #expect(boundaries(rewritten.stepIndex) == boundaries(read.stepIndex))
        #expect(rewritten.stepIndex.suffix(10) == [2, 2, 2, 2, 3, 3, 3, 3, 3, 3])
    }

    /// `convert` of 0.1.0: exact numbers ("0.0"), empty temperatures, `step_id` beside a running
    /// `step_count`. The instrument's step is `step_id`; today's writer writes the file again
    /// byte for byte.
    @Test func readsAConvertedFileOfTheOldWriter() throws {
        let url = Self.fixtures.appendingPathComponent("convert-0.1.0-nda_v29_synthetic.csv")
        let text = try String(contentsOf: url, encoding: .utf8)
        let read = try BatteryDataFormatCSV.parse(text)
        #expect(read.count == 84)
        #expect(read.temperatureCelsius[0].isNaN && read.temperatureCelsius[4] == 25.5)
        #expect(read.unixTimeSeconds[0] == 1553990321)
        #expect(read.stepIndex[7] == 2 && read.cycleIndex[76] == 2)
        var samples: [Sample] = []
        for index in 0..<read.count {
            var sample = read[index]
            if sample.temperatureCelsius?.isNaN == true { sample.temperatureCelsius = nil }
            samples.append(sample)
        }
        #expect(BatteryDataCSVWriter.csvText(samples, layout: .converted(hasUnixTime: true, hasTemperature: true)) == text)
    }

    @Test func nonFiniteTextOfTheOldSimulatorIsMissing() throws {
        let text = "test_time_second,current_ampere,voltage_volt,temperature_celsius,unix_time_second\n0,1,3,NaN,inf\n1,1,3,25,-inf\n"
        let read = try BatteryDataFormatCSV.parse(text)
        #expect(read.temperatureCelsius[0].isNaN && read.temperatureCelsius[1] == 25)
        #expect(read.unixTimeSeconds.allSatisfy { $0.isNaN })
        #expect(throws: BatteryDataFormatCSV.ReadError.self) { try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,NaN,3\n") }
    }

    @Test func otherBDFTemperaturesAndStepColumnsAreRead() throws {
        let text = "Test_Time_Second,current_ampere,voltage_volt,ambient_temperature_celsius,temperature_t1_celsius,step_count,step_id\n0,1,3,20,30,1,4\n1,1,3,21,31,2,4\n"
        let read = try BatteryDataFormatCSV.parse(text)
        #expect(read.temperatureCelsius == [30, 31], "the cell's temperature (T1) before the ambient one")
        #expect(read.stepIndex == [4, 4], "the instrument's step before the running count")
        #expect(BatteryDataFormatCSV.isHeader("\u{FEFF}\"test_time_second\",voltage_volt , current_ampere"))
        #expect(!BatteryDataFormatCSV.isHeader("Data_Point,Voltage,Current"))
    }
}

/// A random run: values over many magnitudes (or instrument-like ones), with each optional
/// column present for the whole run or not at all, and the odd missing temperature.
private struct RandomRun {
    var samples: [Sample] = []
    let hasUnixTime: Bool, hasTemperature: Bool, hasCycle: Bool, hasStep: Bool

    init(seed: UInt64, rows: Int, presence: UInt8, magnitudes: Bool = true) {
        hasUnixTime = presence & 1 != 0
        hasTemperature = presence & 2 != 0
        hasCycle = presence & 4 != 0
        hasStep = presence & 8 != 0
        let changingSteps = presence & 16 != 0
        var random = SplitMix64(state: seed)
        func unit() -> Double { Double(random.next() >> 11) / 9_007_199_254_740_992 }
        func anyValue(_ scale: Double) -> Double {
            guard magnitudes else { return (unit() * 2 - 1) * scale }
            switch random.next() % 6 {
            case 0: return 0
            case 1: return -0.0
            case 2: return Double(Int64(bitPattern: random.next()) >> 20)  // integer-valued
            case 3: return (unit() * 2 - 1) * pow(10, Double(Int(random.next() % 40) - 20))
            case 4: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF | (random.next() & 0x8000_0000_0000_0000))
            default: return (unit() * 2 - 1) * scale
            }
        }
        var time = 0.0, step: Int32 = 1, cycle: Int32 = 1
        for _ in 0..<rows {
            time += magnitudes ? unit() * 1000 : (unit() * 100).rounded() / 10
            if changingSteps, random.next() % 4 == 0 { step = Int32(random.next() % 9) + 1 }
            if random.next() % 10 == 0 { cycle += Int32(random.next() % 3) }
            let temperature = random.next() % 7 == 0 ? nil : anyValue(40)
            samples.append(Sample(
                unixTimeSeconds: hasUnixTime ? 1.7e9 + time : .nan,
                testTimeSeconds: magnitudes && random.next() % 5 == 0 ? anyValue(1e6) : time,
                voltageVolts: anyValue(5), currentAmperes: anyValue(0.01),
                temperatureCelsius: hasTemperature ? temperature : nil,
                stepIndex: hasStep ? step : nil, cycleIndex: hasCycle ? cycle : nil))
        }
    }
}

private func bits(_ values: [Double]) -> [UInt64] {
    values.map { $0.isNaN ? Double.nan.bitPattern : $0.bitPattern }
}

/// `cellfleet export`'s layout: the cycler's counters and step type beside the BDF columns,
/// written exactly and read back by the reader `detect` uses.
@Suite struct BatteryDataFormatExportLayoutTests {
    @Test func theCyclersCountersAndStepTypeRoundTrip() throws {
        let layout = BatteryDataFormat.Layout.exported(hasUnixTime: true, hasTemperature: true, hasCycle: true, hasStep: true,
                                                       hasCapacity: true, hasEnergy: true, hasStepType: true)
        #expect(layout.columns.map(\.name) == [
            "test_time_second", "unix_time_second", "current_ampere", "voltage_volt", "temperature_celsius", "cycle_count",
            "step_count", "step_id", "step_cumulative_capacity_ampere_hour", "step_cumulative_energy_watt_hour", "step_type",
        ])
        let samples = [
            Sample(unixTimeSeconds: 1.5, testTimeSeconds: 0, voltageVolts: 0.1 + 0.2, currentAmperes: 1e-300, capacityAmpHours: 0,
                   energyWattHours: 5e-324, temperatureCelsius: 25, stepIndex: 4, stepType: .constantCurrentCharge, cycleIndex: 1),
            Sample(unixTimeSeconds: .nan, testTimeSeconds: 1, voltageVolts: 3, currentAmperes: 0, capacityAmpHours: nil,
                   energyWattHours: nil, temperatureCelsius: nil, stepIndex: 5, stepType: .unknown, cycleIndex: 1),
            Sample(unixTimeSeconds: 3.5, testTimeSeconds: 2, voltageVolts: 3, currentAmperes: -0.001, capacityAmpHours: 1e-7,
                   energyWattHours: 2, temperatureCelsius: 26, stepIndex: 6, stepType: .rest, cycleIndex: 2),
        ]
        let text = BatteryDataCSVWriter.csvText(samples, layout: layout)
        #expect(text.split(separator: "\n")[1] == "0.0,1.5,1e-300,0.30000000000000004,25.0,1,1,4,0.0,5e-324,constant_current_charge")
        #expect(text.split(separator: "\n")[2] == "1.0,,0.0,3.0,,1,2,5,,,")
        let columns = try BatteryDataFormatCSV.parse(text)
        #expect(columns.voltageVolts == [0.1 + 0.2, 3, 3] && columns.currentAmperes == [1e-300, 0, -0.001])
        #expect(columns.capacityAmpHours[0] == 0 && columns.capacityAmpHours[1].isNaN && columns.capacityAmpHours[2] == 1e-7)
        #expect(columns.energyWattHours[0] == 5e-324 && columns.energyWattHours[1].isNaN)
        #expect(columns.stepType == [.constantCurrentCharge, .unknown, .rest])
        #expect(columns.stepIndex == [4, 5, 6] && columns.cycleIndex == [1, 1, 2])
    }

    /// Random runs (any magnitude, subnormals, -0, missing values) with the cycler's counters
    /// and step types: every bit back.
    @Test func exportedRunsReadBackBitForBit() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0 ... .max), Gen.int(in: 1...60), Gen.uint8(in: 0...31)) { seed, rows, presence in
            let run = RandomRun(seed: seed, rows: rows, presence: presence)
            var random = SplitMix64(state: seed ^ 0x9E37_79B9_7F4A_7C15)
            let samples = run.samples.map { sample -> Sample in
                var sample = sample
                let draw = random.next()
                sample.capacityAmpHours = draw % 5 == 0 ? nil : Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
                sample.energyWattHours = draw % 7 == 0 ? nil : Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF)
                sample.stepType = StepType.allCases[Int(random.next() % UInt64(StepType.allCases.count))]
                return sample
            }
            let layout = BatteryDataFormat.Layout.exported(hasUnixTime: run.hasUnixTime, hasTemperature: run.hasTemperature,
                                                           hasCycle: run.hasCycle, hasStep: run.hasStep,
                                                           hasCapacity: true, hasEnergy: true, hasStepType: true)
            let read = try BatteryDataFormatCSV.parse(BatteryDataCSVWriter.csvText(samples, layout: layout))
            #expect(read.count == rows)
            #expect(bits(read.voltageVolts) == bits(samples.map(\.voltageVolts)))
            #expect(bits(read.currentAmperes) == bits(samples.map(\.currentAmperes)))
            #expect(read.stepType == samples.map(\.stepType))
            let capacities = samples.map { $0.capacityAmpHours ?? .nan }
            #expect(read.capacityAmpHours.isEmpty ? capacities.allSatisfy(\.isNaN) : bits(read.capacityAmpHours) == bits(capacities))
            let energies = samples.map { $0.energyWattHours ?? .nan }
            #expect(read.energyWattHours.isEmpty ? energies.allSatisfy(\.isNaN) : bits(read.energyWattHours) == bits(energies))
            #expect(read.stepIndex == (run.hasStep ? samples.map { $0.stepIndex! } : []))
        }
    }

    @Test(arguments: StepType.allCases)
    func everyStepTypeHasAName(type: StepType) {
        #expect(StepType(batteryDataFormatName: type.batteryDataFormatName ?? "") == type)
    }

    @Test func aFileWithoutTheCountersHasNone() throws {
        let columns = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,0,3\n")
        #expect(columns.capacityAmpHours.isEmpty && columns.energyWattHours.isEmpty && columns.stepType == [.unknown])
    }
}
