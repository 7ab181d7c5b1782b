import Foundation
import Testing
import TestSupport

/// `cellfleet profile suggest` and `inspect` on exports no profile knows, through the real
/// executable: the draft it prints, saved in a profiles directory, makes `inspect` read the file by
/// its header rule; a file without a current column is refused naming what is missing.
@Suite struct ProfileSuggestEndToEndTests {
    static let fixtures = TestPaths.repositoryRoot.appendingPathComponent("Tests/Core/CyclerReadersTests/Fixtures/synthetic")
    static let builtInProfiles = TestPaths.repositoryRoot.appendingPathComponent("agents/profiles").path

    /// Runs `cellfleet` to its end: (exit status, stdout, stderr).
    func cellfleet(_ arguments: [String], profiles: String = builtInProfiles) throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try TestProcess(TestPaths.cellfleet, arguments, environment: ["CELLFLEET_PROFILES": profiles])
        child.process.waitUntilExit()
        return (child.process.terminationStatus, child.stdout, child.stderr)
    }

    @Test func theDraftProfileSavedInAProfilesDirectoryMakesInspectReadTheFile() throws {
        let file = Self.fixtures.appendingPathComponent("rig3_unknown_logger.csv").path
        let suggested = try cellfleet(["profile", "suggest", file])
        #expect(suggested.status == 0, "\(suggested.stderr)")
        let draft = try #require(try JSONSerialization.jsonObject(with: Data(suggested.stdout.utf8)) as? [String: Any])
        #expect(draft["name"] as? String == "draft_rig3_unknown_logger")
        let columns = try #require(draft["columns"] as? [String: [[String: String]]])
        #expect(columns["current"] == [["name": "Cell Current [mA]", "unit": "mA"]])
        #expect(columns["testTime"] == [["name": "Elapsed Time [s]", "unit": "s"]])
        #expect((draft["notes"] as? [String])?.contains { $0.hasPrefix("voltage: \"Cell Voltage [V]\" (confidence 0.95") } == true)

        // Without the draft, inspect reads it through inference and says so on stderr.
        let inferred = try cellfleet(["inspect", file, "--json"])
        #expect(inferred.status == 0, "\(inferred.stderr)")
        #expect(inferred.stderr.contains("read through a profile inferred from the column names"))
        #expect(inferred.stderr.contains(#"current = "Cell Current [mA]" (mA, 0.95)"#))

        // Saved beside the built-ins, the draft is found by its header rule: no inference notice.
        let dir = TestPaths.temporaryDirectory("profile-suggest")
        defer { try? FileManager.default.removeItem(at: dir) }
        try suggested.stdout.write(to: dir.appendingPathComponent("rig3.json"), atomically: true, encoding: .utf8)
        let read = try cellfleet(["inspect", file, "--json"], profiles: dir.path + ":" + Self.builtInProfiles)
        #expect(read.status == 0, "\(read.stderr)")
        #expect(!read.stderr.contains("inferred"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(report["format"] as? String == "draft_rig3_unknown_logger")
        #expect(report["rows"] as? Int == 60)
        #expect(report["cycles"] as? Int == 2)
        #expect(report["voltage_max_V"] as? Double == 3.9)
        #expect(report["last_test_time_s"] as? Double == 1770)
    }

    @Test func theHeldBackMaccorVariantIsReadByInspectAndDetect() throws {
        let file = Self.fixtures.appendingPathComponent("maccor_metadata_no_rec.txt").path
        let inspected = try cellfleet(["inspect", file, "--json"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any])
        #expect(report["format"] as? String == "maccor_txt")
        #expect(report["rows"] as? Int == 60)
        let detected = try cellfleet(["detect", file])
        // A healthy cell: detect reads every record and reports no event.
        #expect(detected.status == 0, "\(detected.stderr)")
    }

    @Test func aFileWithoutCurrentIsRefusedNamingTheMissingRole() throws {
        let dir = TestPaths.temporaryDirectory("profile-suggest-refused")
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "Test Time (sec)\tVoltage\tTemp 1\n"
        for k in 0..<10 { text += "\(k * 10)\t3.\(k)\t25\n" }
        let file = dir.appendingPathComponent("no_current.txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        for command in [["profile", "suggest"], ["inspect"], ["detect"]] {
            let run = try cellfleet(command + [file.path])
            #expect(run.status != 0, "\(command)")
            #expect(run.stdout.isEmpty || command == ["detect"], "\(command)")
            #expect(run.stderr.contains(#"missing: current (candidates: none)"#), "\(command): \(run.stderr)")
            #expect(run.stderr.contains(#"time = "Test Time (sec)" (s, 0.9), voltage = "Voltage" (V, 0.7)"#), "\(command)")
        }
    }
}
