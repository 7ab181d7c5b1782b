import TestSupport
import Foundation
import Testing

/// `cellfleet detect` with a sidecar `X.cell.toml` beside `X.csv`, through the real executable:
/// the sidecar names the cell and sets its type and thresholds, a flag given overrides it, and a
/// sidecar that cannot be used fails that file with an error naming the file and the key.
@Suite(.serialized) struct DetectSidecarTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// (rule, cell) of each alert line.
        var alerts: [(rule: String, cell: String)] {
            stdout.split(separator: "\n").compactMap { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let rule = object["rule"] as? String, let cell = object["cell"] as? String else { return nil }
                return (rule, cell)
            }
        }
        var rules: Set<String> { Set(alerts.map(\.rule)) }
    }

    static func run(_ arguments: [String]) throws -> Run {
        let child = try TestProcess(TestPaths.cellfleet, arguments)
        child.process.waitUntilExit()
        return Run(status: child.process.terminationStatus, stdout: child.stdout, stderr: child.stderr)
    }

    /// A symmetric cell with a hard short at 10.667 h (simulator preset 8): H1 fires on it.
    static func shortedCell(in directory: URL) throws -> URL {
        let csv = directory.appendingPathComponent("short.csv")
        _ = try TestProcess.run(TestPaths.cellfleet, ["simulate", "8", "--seed", "2", "--out", csv.path])
        return csv
    }

    @Test func theSidecarDescribesTheCellAndFlagsOverrideIt() throws {
        let directory = TestPaths.temporaryDirectory("detect-sidecar")
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = try Self.shortedCell(in: directory)
        let sidecar = directory.appendingPathComponent("short.cell.toml")

        let bare = try Self.run(["detect", csv.path])
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(bare.rules.contains("H1"))
        #expect(bare.alerts.allSatisfy { $0.cell == "short" })

        // A threshold in the sidecar that H1 cannot reach; its cell_id names the cell.
        try """
            cell_id = "sym-07"
            cell_type = "symmetric"
            area_cm2 = 0.785

            [thresholds]
            H1.samples = 1000000

            [attributes]
            batch = "2026-11-A"
            """.write(to: sidecar, atomically: true, encoding: .utf8)
        let quiet = try Self.run(["detect", csv.path])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(!quiet.rules.contains("H1"))
        #expect(quiet.alerts.allSatisfy { $0.cell == "sym-07" })

        // --threshold applies after the sidecar's thresholds: H1 is back, named by the sidecar.
        let overridden = try Self.run(["detect", csv.path, "--threshold", "H1.samples=3"])
        #expect(overridden.status == 0, "\(overridden.stderr)")
        #expect(overridden.alerts.contains { $0.rule == "H1" && $0.cell == "sym-07" })

        // The sidecar says full (H1 is a symmetric rule); --cell symmetric overrides it.
        try """
            cell_type = "full"
            """.write(to: sidecar, atomically: true, encoding: .utf8)
        #expect(try !Self.run(["detect", csv.path]).rules.contains("H1"))
        let symmetric = try Self.run(["detect", csv.path, "--cell", "symmetric"])
        #expect(symmetric.status == 0, "\(symmetric.stderr)")
        #expect(symmetric.rules.contains("H1"))
        #expect(symmetric.alerts.allSatisfy { $0.cell == "short" })
    }

    @Test func aSidecarThatCannotBeUsedFailsItsFileNamingTheFileAndTheKey() throws {
        let directory = TestPaths.temporaryDirectory("detect-sidecar-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let csv = try Self.shortedCell(in: directory)
        let sidecar = directory.appendingPathComponent("short.cell.toml")

        try "cell_id = \"c1\"\nactive_mass_g = 7\n".write(to: sidecar, atomically: true, encoding: .utf8)
        let unknownKey = try Self.run(["detect", csv.path])
        #expect(unknownKey.status != 0)
        #expect(unknownKey.stdout.isEmpty)
        #expect(unknownKey.stderr.contains("unknown key 'active_mass_g'") && unknownKey.stderr.contains(sidecar.path), "\(unknownKey.stderr)")

        try "[thresholds]\nH9.samples = 3\n".write(to: sidecar, atomically: true, encoding: .utf8)
        let unknownThreshold = try Self.run(["detect", csv.path])
        #expect(unknownThreshold.status != 0)
        #expect(unknownThreshold.stderr.contains("unknown threshold 'H9.samples'") && unknownThreshold.stderr.contains(sidecar.path), "\(unknownThreshold.stderr)")

        // Limits that are fine alone but inverted once a flag overrides one of them.
        try "cell_type = \"half\"\nworking_electrode = \"anode\"\nvoltage_min_v = 0.005\nvoltage_max_v = 1.5\n".write(to: sidecar, atomically: true, encoding: .utf8)
        let inverted = try Self.run(["detect", csv.path, "--voltage-min", "2"])
        #expect(inverted.status != 0)
        #expect(inverted.stderr.contains("must be below voltage_max_v 1.5"), "\(inverted.stderr)")

        let electrodeOnFull = try Self.run(["detect", csv.path, "--cell", "full", "--working-electrode", "anode"])
        #expect(electrodeOnFull.status != 0)
        #expect(electrodeOnFull.stderr.contains("--working-electrode anode is for half cells"), "\(electrodeOnFull.stderr)")
    }
}
