import CellDetection
import CellModel
import CellSimulator
import Foundation
import Testing
@testable import CellfleetReports

@Suite struct DetectionReportTests {
    @Test func jsonLinesCarryTheContractFields() throws {
        let alert = Alert(rule: .P2, cellID: "cell \"7\"", testTimeSeconds: 381_600, cycle: 53,
                          evidence: ["ratio": 5.12, "bad": .nan], message: "polarization\nblow-up")
        let line = AlertJSON.line(alert, file: "a.csv")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["rule"] as? String == "P2")
        #expect(object["severity"] as? String == "fail")
        #expect((object["test_time_second"] as? NSNumber)?.doubleValue == 381_600)
        #expect((object["cycle"] as? NSNumber)?.intValue == 53)
        #expect(object["cell"] as? String == "cell \"7\"")
        #expect(object["file"] as? String == "a.csv")
        let evidence = try #require(object["evidence"] as? [String: Any])
        #expect((evidence["ratio"] as? NSNumber)?.doubleValue == 5.12)
        #expect(evidence["bad"] is NSNull)
        #expect(!line.contains("\n"))
    }

    /// An aggregated Q1 episode is one line: test_time_second its start, plus kind, count and
    /// last_test_time_second; the other rules' lines carry none of the three.
    @Test func anEpisodeLineCarriesItsCountAndLastTime() throws {
        let note = Alert(rule: .Q1, cellID: "c", testTimeSeconds: 3600, cycle: 2, evidence: ["gap_seconds": 7200],
                         message: "logging gap", kind: DataQualityKind.loggingGap.rawValue, count: 4, lastTestTimeSeconds: 90_000)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(AlertJSON.line(note).utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "logging_gap")
        #expect((object["count"] as? NSNumber)?.intValue == 4)
        #expect((object["test_time_second"] as? NSNumber)?.doubleValue == 3600)
        #expect((object["last_test_time_second"] as? NSNumber)?.doubleValue == 90_000)
        let fail = Alert(rule: .H1, cellID: "c", testTimeSeconds: 10, cycle: 1, evidence: [:], message: "short")
        let plain = try #require(try JSONSerialization.jsonObject(with: Data(AlertJSON.line(fail).utf8)) as? [String: Any])
        #expect(plain["count"] == nil && plain["kind"] == nil && plain["last_test_time_second"] == nil)
    }

    /// `cellfleet detect` on a recorded file: one JSON line per alert, and they read back as the
    /// very alerts the detector returned (every field, in order); a bad file gives no line at all.
    @Test func aRecordedFileGivesOneLinePerAlertAndABadFileGivesNone() throws {
        let preset = try #require(ScenarioCatalog.preset(named: "8"))  // a hard short at 10.667 h
        let samples = Array(CellSimulation(preset: preset, seed: 2))
        let directory = FileManager.default.temporaryDirectory
        let good = directory.appendingPathComponent("ccd-\(UUID().uuidString).csv")
        try BatteryDataCSVWriter.csvText(samples).write(to: good, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: good) }
        let lines = try DetectionReport.jsonLines(forFileAt: good.path, options: DetectionOptions()).split(separator: "\n")
        #expect(lines.contains { $0.contains("\"rule\":\"H1\"") && $0.contains("\"severity\":\"fail\"") })
        #expect(lines.allSatisfy { $0.hasPrefix("{\"rule\":") && $0.hasSuffix("}") })
        let expected = DetectionRun.detect(try BatteryDataFormatCSV.read(contentsOf: good), cellID: good.deletingPathExtension().lastPathComponent, options: DetectionOptions())
        // Non-finite evidence is written as null, which reads back as absent.
        let finite = expected.map { alert in
            var alert = alert
            alert.evidence = alert.evidence.filter { $0.value.isFinite }
            return alert
        }
        #expect(try lines.map { try AlertJSONDecoding.alert(from: String($0)) } == finite)

        let bad = directory.appendingPathComponent("bad-\(UUID().uuidString).csv")
        try (BatteryDataCSVWriter.csvText(samples) + "oops,1,2\n").write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        #expect(throws: BatteryDataFormatCSV.ReadError.self) {
            try DetectionReport.jsonLines(forFileAt: bad.path, options: DetectionOptions())
        }
        #expect(throws: BatteryDataFormatCSV.ReadError.self) {
            try DetectionReport.jsonLines(forFileAt: "/nonexistent/file.csv", options: DetectionOptions())
        }
    }
}

/// Reads `cellfleet detect` JSON lines back into alerts (the contract's field names).
enum AlertJSONDecoding {
    struct Malformed: Error {}

    static func alert(from line: String) throws -> Alert {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let ruleText = object["rule"] as? String, let rule = DetectionRule(rawValue: ruleText),
              let severityText = object["severity"] as? String, let severity = AlertSeverity(rawValue: severityText),
              let time = (object["test_time_second"] as? NSNumber)?.doubleValue,
              let cycle = (object["cycle"] as? NSNumber)?.intValue,
              let cell = object["cell"] as? String,
              let evidence = object["evidence"] as? [String: Any],
              let message = object["message"] as? String,
              object["file"] is String
        else { throw Malformed() }
        return Alert(rule: rule, severity: severity, cellID: cell, testTimeSeconds: time, cycle: cycle,
                     evidence: evidence.compactMapValues { ($0 as? NSNumber)?.doubleValue }, message: message)
    }
}

/// `detect --explain`: the cell type with the inference's reason, the baselines and the margins.
@Suite struct DetectionExplanationTextTests {
    /// The explanation of the first `samples` samples of a simulated scenario, as `sym.csv` etc.
    static func explanation(scenario: String, samples: Int, cellID: String) throws -> String {
        let preset = try #require(ScenarioCatalog.preset(named: scenario))
        let columns = SampleColumns(Array(CellSimulation(preset: preset, seed: 1).prefix(samples)))
        let outcome = DetectionRun.run(columns, cellID: cellID, options: DetectionOptions())
        return DetectionExplanationText.render(outcome, file: "\(cellID).csv")
    }

    @Test func aSymmetricCellsExplanationNamesItsTypeBaselinesAndMargins() throws {
        let text = try Self.explanation(scenario: "1", samples: 30_000, cellID: "sym")
        #expect(text.hasPrefix("sym.csv: cell sym\n"))
        #expect(text.contains("cell type: symmetric; inferred symmetric, confidence 0.95"))
        #expect(text.contains("plateau overpotential reference at 78.5 µA (V)"), "\(text)")
        let p1 = try #require(text.split(separator: "\n").first { $0.contains("P1: largest plateau overpotential / reference") })
        #expect(p1.contains("fires above 2.0 (margin "))
        #expect(!text.contains("window:"), "a symmetric cell has no operating window")
    }

    @Test func aFullCellsExplanationShowsItsLearnedWindowAndH2Margin() throws {
        let text = try Self.explanation(scenario: "9", samples: 40_000, cellID: "full")
        #expect(text.contains("cell type: full"))
        #expect(text.contains("(learned)"), "\(text)")
        let h2 = try #require(text.split(separator: "\n").first { $0.contains("H2: lowest V − threshold") })
        #expect(h2.contains("fires below 0.0 (margin ") && !h2.contains("%"), "\(h2)")
    }
}
