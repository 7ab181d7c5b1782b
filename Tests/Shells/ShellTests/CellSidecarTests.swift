import CellModel
import CellfleetAgent
import Foundation
import Testing

/// The sidecar `X.cell.toml`: every key read in the lab's units, every mistake an error that
/// names the key and the file, and flags laid over it as `cellfleet detect` documents.
@Suite struct CellSidecarTests {
    static let file = "/lab/run-7/gr-07.cell.toml"
    /// Every key outside the tables, for an anode half cell.
    static let halfCellKeys = """
        cell_id = "gr-07"
        cell_type = "half"
        working_electrode = "anode"
        area_cm2 = 1.13
        active_mass_mg = 7
        nominal_capacity_mah = 2.5
        voltage_min_v = 0.005
        voltage_max_v = 1.5
        """

    func parse(_ text: String) throws(CellSidecarError) -> CellSidecar { try CellSidecar.parse(text, file: Self.file) }

    func error(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            #expect(error.file == Self.file)
            #expect(error.description.hasPrefix(Self.file + ": "))
            return error.message
        }
    }

    @Test func everyKey() throws {
        let sidecar = try parse("""
            \(Self.halfCellKeys)

            [thresholds]
            P2.ratio = 4.5
            "S6.ce" = 0.99
            E1.cycles = 3
            S5.ratio = "0.8"

            [attributes]
            batch = "2026-11-A"
            coating = "LiAlO2"
            """)
        var expected = CellSidecar()
        expected.cellID = "gr-07"
        expected.cellType = .half
        expected.workingElectrode = .anode
        expected.areaSquareCentimeters = 1.13
        expected.activeMassMilligrams = 7
        expected.nominalCapacityMilliampHours = 2.5
        expected.voltageMinVolts = 0.005
        expected.voltageMaxVolts = 1.5
        // Dotted and quoted names are the same threshold; integers stay whole (counts).
        expected.thresholdAssignments = ["E1.cycles=3", "P2.ratio=4.5", "S5.ratio=0.8", "S6.ce=0.99"]
        expected.attributes = ["batch": "2026-11-A", "coating": "LiAlO2"]
        #expect(sidecar == expected)
        #expect(try parse("") == CellSidecar())
        #expect(try parse("cell_type = \"symmetric\"\nvoltage_min_v = -1\nvoltage_max_v = 1").voltageMinVolts == -1)
        #expect(try parse("cell_type = \"full\"").cellType == .full)
        #expect(try parse("cell_type = \"half\"").workingElectrode == nil)
        #expect(try parse("cell_type = \"half\"\nworking_electrode = \"cathode\"").workingElectrode == .cathode)
    }

    @Test func everyMistakeNamesItsKey() {
        #expect(error("active_mass_g = 7")?.contains("unknown key 'active_mass_g'") == true)
        #expect(error("[cycler]\nmake = \"Arbin\"")?.contains("unknown key 'cycler'") == true)
        #expect(error("cell_id = = 3")?.contains("not valid TOML") == true)
        #expect(error("cell_id = 7")?.contains("cell_id must be a string (it is a TOML integer)") == true)
        #expect(error("cell_id = \"\"")?.contains("cell_id must not be empty") == true)
        #expect(error("cell_type = \"coin\"")?.contains("cell_type 'coin' is not one of symmetric, half, full") == true)
        #expect(error("cell_type = \"half\"\nworking_electrode = \"counter\"")?.contains("working_electrode 'counter' is not one of anode, cathode") == true)
        #expect(error("working_electrode = \"anode\"")?.contains("working_electrode is only for half cells; add cell_type = \"half\"") == true)
        #expect(error("cell_type = \"full\"\nworking_electrode = \"anode\"")?.contains("(it says \"full\")") == true)
        #expect(error("area_cm2 = \"1.13\"")?.contains("area_cm2 must be a number (it is a TOML string)") == true)
        for key in ["area_cm2", "active_mass_mg", "nominal_capacity_mah"] {
            for value in ["-1", "0", "nan", "inf"] {
                #expect(error("\(key) = \(value)")?.contains("\(key) must be positive") == true, "\(key) = \(value)")
            }
        }
        #expect(error("voltage_min_v = nan")?.contains("voltage_min_v must be a finite number") == true)
        #expect(error("voltage_max_v = -inf")?.contains("voltage_max_v must be a finite number") == true)
        #expect(error("voltage_max_v = true")?.contains("voltage_max_v must be a number (it is a TOML bool)") == true)
        #expect(error("cell_type = \"half\"\nvoltage_min_v = -0.1")?.contains("voltage_min_v -0.1 V is negative, which a half cell's limit is not") == true)
        #expect(error("cell_type = \"full\"\nvoltage_max_v = -3")?.contains("voltage_max_v -3.0 V is negative") == true)
        #expect(error("voltage_min_v = 4.2\nvoltage_max_v = 3")?.contains("voltage_min_v 4.2 V must be below voltage_max_v 3.0 V") == true)
        #expect(error("voltage_min_v = 3\nvoltage_max_v = 3")?.contains("must be below") == true)
        #expect(error("thresholds = 5")?.contains("thresholds must be a [thresholds] table") == true)
        #expect(error("[thresholds]\nP2.ratio = [5]")?.contains("thresholds.P2.ratio must be a number or a string (it is a TOML array)") == true)
        #expect(error("attributes = \"x\"")?.contains("attributes must be an [attributes] table") == true)
        #expect(error("[attributes]\nbatch = 7")?.contains("attributes.batch must be a string (it is a TOML integer: quote it)") == true)
    }

    @Test func theSidecarBesideADataFile() throws {
        #expect(CellSidecar.location(besideDataFile: "/lab/run-7/gr-07.mpr").path == "/lab/run-7/gr-07.cell.toml")
        #expect(CellSidecar.location(besideDataFile: "/lab/run-7/gr-07.csv").path == "/lab/run-7/gr-07.cell.toml")
        #expect(CellSidecar.location(besideDataFile: "/lab/run-7/cell.2.ndax").path == "/lab/run-7/cell.2.cell.toml")
        #expect(CellSidecar.location(besideDataFile: "/lab/run-7/gr-07").path == "/lab/run-7/gr-07.cell.toml")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let data = directory.appendingPathComponent("gr-07.csv").path
        #expect(try CellSidecar.load(besideDataFile: data) == nil)
        try "cell_id = \"gr-07b\"\n".write(to: directory.appendingPathComponent("gr-07.cell.toml"), atomically: true, encoding: .utf8)
        #expect(try CellSidecar.load(besideDataFile: data)?.cellID == "gr-07b")
        try "cell_di = \"gr-07b\"\n".write(to: directory.appendingPathComponent("gr-07.cell.toml"), atomically: true, encoding: .utf8)
        #expect(throws: CellSidecarError.self) { try CellSidecar.load(besideDataFile: data) }
    }

    @Test func flagsOverrideTheSidecar() throws {
        let sidecar = try parse("""
            \(Self.halfCellKeys)
            [thresholds]
            P2.ratio = 4
            [attributes]
            batch = "A"
            """)
        #expect(sidecar.overridden(by: CellSidecar()) == sidecar)

        var flags = CellSidecar()
        flags.areaSquareCentimeters = 0.5
        flags.voltageMaxVolts = 1.0
        flags.thresholdAssignments = ["P2.ratio=6"]
        flags.attributes = ["batch": "B"]
        let effective = sidecar.overridden(by: flags)
        #expect(effective.areaSquareCentimeters == 0.5 && effective.voltageMinVolts == 0.005 && effective.voltageMaxVolts == 1.0)
        #expect(effective.cellID == "gr-07" && effective.cellType == .half && effective.workingElectrode == .anode)
        // The sidecar's thresholds first, so the flag's P2.ratio wins.
        #expect(effective.thresholdAssignments == ["P2.ratio=4", "P2.ratio=6"])
        #expect(effective.attributes == ["batch": "B"])

        // --cell full: the sidecar's anode described a half cell, which this no longer is.
        var full = CellSidecar()
        full.cellType = .full
        #expect(sidecar.overridden(by: full).workingElectrode == nil)
        // --working-electrode alone makes the cell a half cell, whatever the sidecar said.
        var cathode = CellSidecar()
        cathode.workingElectrode = .cathode
        let fullSidecar = try parse("cell_type = \"full\"")
        #expect(fullSidecar.overridden(by: cathode).cellType == .half)
        #expect(fullSidecar.overridden(by: cathode).workingElectrode == .cathode)
        // Each side fine alone, inverted together: the caller checks the result.
        var high = CellSidecar()
        high.voltageMinVolts = 2
        #expect(sidecar.overridden(by: high).problem?.contains("must be below voltage_max_v 1.5") == true)
    }

    @Test func theSidecarAppliedToACellInSIUnits() throws {
        let sidecar = try parse("""
            \(Self.halfCellKeys)
            [attributes]
            batch = "A"
            """)
        let base = CellMetadata(cellID: "ch3", cellType: .full, electrodeAreaSquareMeters: 2e-4, attributes: ["source": "file", "batch": "old"])
        let cell = sidecar.applied(to: base)
        #expect(cell.cellID == "gr-07" && cell.cellType == .half && cell.workingElectrode == .anode)
        #expect(abs(cell.electrodeAreaSquareMeters! - 1.13e-4) < 1e-15)
        #expect(abs(cell.activeMassKilograms! - 7e-6) < 1e-18)
        #expect(abs(cell.nominalCapacityAmpHours! - 2.5e-3) < 1e-15)
        #expect(cell.voltageMinVolts == 0.005 && cell.voltageMaxVolts == 1.5)
        #expect(cell.attributes == ["source": "file", "batch": "A"])
        // What the sidecar leaves out stays as it was.
        #expect(CellSidecar().applied(to: base) == base)
        var halfBase = base
        halfBase.cellType = .half
        halfBase.workingElectrode = .cathode
        #expect(try parse("cell_type = \"full\"").applied(to: halfBase).workingElectrode == nil)
    }
}
