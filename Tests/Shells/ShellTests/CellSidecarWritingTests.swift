import CellfleetAgent
import CellModel
import Testing

/// `CellSidecar.tomlText` (what `cellfleet export` writes) reads back to the same values.
@Suite struct CellSidecarWritingTests {
    @Test func aWrittenSidecarParsesToTheSameValuesToTheLastDigit() throws {
        var sidecar = CellSidecar()
        sidecar.cellID = "gr \"07\""
        sidecar.cellType = .half
        sidecar.workingElectrode = .anode
        sidecar.areaSquareCentimeters = 1.13e-4 * 10_000
        sidecar.activeMassMilligrams = 0.1 + 0.2
        sidecar.nominalCapacityMilliampHours = 2.5
        sidecar.voltageMinVolts = 0.005
        sidecar.voltageMaxVolts = 1.5
        sidecar.thresholdAssignments = ["E1.cycles=3", "S6.ce=0.995", "P2.ratio=1e3"]
        sidecar.attributes = ["batch": "2026-11-A", "coating": "LiAlO2"]
        let text = sidecar.tomlText(comment: "a comment\nover two lines")
        #expect(text.hasPrefix("# a comment\n# over two lines\n"))
        let parsed = try CellSidecar.parse(text, file: "x.cell.toml")
        #expect(parsed.cellID == sidecar.cellID && parsed.cellType == .half && parsed.workingElectrode == .anode)
        #expect(parsed.areaSquareCentimeters == sidecar.areaSquareCentimeters)
        #expect(parsed.activeMassMilligrams == 0.1 + 0.2)
        #expect(parsed.nominalCapacityMilliampHours == 2.5 && parsed.voltageMinVolts == 0.005 && parsed.voltageMaxVolts == 1.5)
        #expect(parsed.attributes == sidecar.attributes)
        // Names sorted by the parser; the values are the same numbers.
        #expect(parsed.thresholdAssignments == ["E1.cycles=3", "P2.ratio=1000.0", "S6.ce=0.995"], "\(parsed.thresholdAssignments)")
    }

    @Test func anEmptySidecarIsEmpty() throws {
        let parsed = try CellSidecar.parse(CellSidecar().tomlText(), file: "x")
        #expect(parsed == CellSidecar())
    }
}
