import CellModel
import Foundation
import Testing
import CellDetection

@Suite struct CellTypeInferenceTests {
    @Test func cellTypeIsInferredFromTheVoltage() {
        var symmetric = SymmetricCellGenerator()
        symmetric.durationHours = 5
        #expect(CellTypeInference.infer(from: SampleColumns(symmetric.samples())).cellType == .symmetric)
        var full = FullCellGenerator()
        full.cycles = 1
        #expect(CellTypeInference.infer(from: SampleColumns(full.samples())).cellType == .full)
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
