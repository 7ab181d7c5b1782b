import CellModel
import Foundation
import Testing
import CellDetection

@Suite struct BatteryDataFormatCSVTests {
    @Test func headerNamesNotOrderAreTheContract() throws {
        let text = "voltage_volt,extra,current_ampere,test_time_second,cycle_count\r\n0.2,x,7.85e-05,0,1\r\n-0.21,y,-7.85e-05,60.5,1\r\n"
        let columns = try BatteryDataFormatCSV.parse(text)
        #expect(columns.count == 2)
        #expect(columns.testTimeSeconds == [0, 60.5])
        #expect(columns.voltageVolts == [0.2, -0.21])
        #expect(columns.currentAmperes == [7.85e-05, -7.85e-05])
        #expect(columns.cycleIndex == [1, 1])
        #expect(columns.temperatureCelsius.isEmpty && columns.stepIndex.isEmpty)
    }

    @Test func byteOrderMarkBlankLinesAndOptionalColumns() throws {
        let text = "\u{FEFF}test_time_second,current_ampere,voltage_volt,temperature_celsius,step_count\n0,1e-4,3.9,25.1,1\n\n10,1e-4,3.91,,1\n"
        let columns = try BatteryDataFormatCSV.parse(text)
        #expect(columns.count == 2)
        #expect(columns.temperatureCelsius[0] == 25.1 && columns.temperatureCelsius[1].isNaN)
        #expect(columns.stepIndex == [1, 1])
    }

    @Test func errorsNameTheLineAndTheColumn() {
        #expect(throws: BatteryDataFormatCSV.ReadError.self) { try BatteryDataFormatCSV.parse("") }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,voltage_volt\n0,1\n")
            Issue.record("missing column accepted")
        } catch {
            #expect(error.description.contains("current_ampere"))
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,1,2\n5,1,abc\n")
            Issue.record("bad number accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.description.contains("voltage_volt") && error.description.contains("abc"))
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,1\n")
            Issue.record("short row accepted")
        } catch {
            #expect(error.line == 2)
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt,cycle_count\n0,1,2,1.5\n")
            Issue.record("fractional cycle accepted")
        } catch {
            #expect(error.description.contains("cycle_count"))
        }
    }

    @Test func cellTypeIsInferredFromTheVoltage() {
        var symmetric = SymmetricCellGenerator()
        symmetric.durationHours = 5
        #expect(CellTypeInference.infer(from: SampleColumns(symmetric.samples())) == .symmetric)
        var full = FullCellGenerator()
        full.cycles = 1
        #expect(CellTypeInference.infer(from: SampleColumns(full.samples())) == .full)
    }
}

@Suite struct DetectionRunTests {
    /// A recorded file read by the BDF codec gives the detector's alerts; a malformed or missing
    /// file is an error before any alert (the JSON lines `detect` prints are CellfleetReports').
    @Test func aRecordedFileGivesItsAlertsAndABadFileGivesNone() throws {
        var generator = SymmetricCellGenerator()
        generator.durationHours = 24
        generator.shortResistance = { $0 >= 20.5 ? 5 : nil }
        var csv = "voltage_volt,current_ampere,test_time_second\n"
        for sample in generator.samples() { csv += "\(sample.voltageVolts),\(sample.currentAmperes),\(sample.testTimeSeconds)\n" }
        let directory = FileManager.default.temporaryDirectory
        let good = directory.appendingPathComponent("short-\(UUID().uuidString).csv")
        try csv.write(to: good, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: good) }
        let alerts = DetectionRun.detect(try BatteryDataFormatCSV.read(contentsOf: good), cellID: "short", options: DetectionOptions())
        #expect(alerts.contains { $0.rule == .H1 && $0.severity == .fail })

        let bad = directory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        try (csv + "oops,1,2\n").write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        #expect(throws: BatteryDataFormatCSV.ReadError.self) { try BatteryDataFormatCSV.read(contentsOf: bad) }
        #expect(throws: BatteryDataFormatCSV.ReadError.self) {
            try BatteryDataFormatCSV.read(contentsOf: URL(fileURLWithPath: "/nonexistent/file.csv"))
        }
    }

    @Test func thresholdsAreSetByName() throws {
        var thresholds = DetectorThresholds()
        try thresholds.apply(assignment: "P2.ratio=4")
        try thresholds.apply(assignment: "H1.samples = 5")
        #expect(thresholds.p2Ratio == 4 && thresholds.h1Samples == 5)
        #expect(throws: DetectorThresholds.SettingError.unknownName("P9.ratio")) { try thresholds.apply(assignment: "P9.ratio=1") }
        #expect(throws: DetectorThresholds.SettingError.self) { try thresholds.apply(assignment: "P2.ratio=many") }
        #expect(throws: DetectorThresholds.SettingError.self) { try thresholds.apply(assignment: "H1.samples=2.5") }
        #expect(throws: DetectorThresholds.SettingError.self) { try thresholds.apply(assignment: "P2.ratio") }
        #expect(DetectorThresholds.names.contains("S7.absoluteSlopeVoltsPerHour"))
    }

    @Test func aLooserThresholdChangesTheVerdict() {
        var generator = SymmetricCellGenerator()
        generator.durationHours = 120
        generator.areaSpecificResistance = { t in 1000 * exp(t / 60) }
        var options = DetectionOptions()
        let columns = SampleColumns(generator.samples())
        #expect(DetectionRun.detect(columns, cellID: "c", options: options).contains { $0.rule == .P2 })
        options.thresholds.p2Ratio = 20
        #expect(!DetectionRun.detect(columns, cellID: "c", options: options).contains { $0.rule == .P2 })
    }
}
