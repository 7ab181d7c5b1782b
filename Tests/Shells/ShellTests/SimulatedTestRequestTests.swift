@testable import CellfleetAgent
import Testing
import WireProtocol

/// StartTest for a simulated channel: `sim:PRESET`, a UUID, a cell that fits; anything else is
/// refused with a sentence that says why.
@Suite struct SimulatedTestRequestTests {
    static let testID = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"

    func start(_ protocolName: String, testID: String = testID, cell: Cellfleet_Wire_V1_Cell? = nil) -> Cellfleet_Wire_V1_StartTest {
        var start = Cellfleet_Wire_V1_StartTest()
        start.testID = testID
        start.channelID = "ch2"
        start.protocol = protocolName
        if let cell { start.cell = cell }
        return start
    }

    func refusal(_ start: Cellfleet_Wire_V1_StartTest) -> String? {
        do {
            _ = try SimulatedTestRequest.parse(start, channelIndex: 1, cellIDPrefix: "lab")
            return nil
        } catch {
            return error.message
        }
    }

    @Test func aPresetWithTheCommandsCellAndThePresetsDefaults() throws {
        var cell = Cellfleet_Wire_V1_Cell()
        cell.cellID = "cell-42"
        cell.attributes = ["batch": "2026-11-A", "coating": "LiAlO2-thin"]
        let request = try SimulatedTestRequest.parse(start("sim:bare-blow-up", cell: cell), channelIndex: 1, cellIDPrefix: "lab")
        #expect(request.preset == "4")
        #expect(request.testID == Self.testID.lowercased())
        #expect(request.cell.cellID == "cell-42" && request.cell.cellType == .symmetric)
        #expect(abs((request.cell.electrodeAreaSquareMeters ?? 0) - 0.785e-4) < 1e-12)
        #expect(request.cell.attributes["batch"] == "2026-11-A" && request.cell.attributes["coating"] == "LiAlO2-thin")
        #expect(request.cell.attributes["scenario"] == "4" && request.cell.attributes["source"] == "simulated")
        // No cell at all: the preset's, named after the agent and channel.
        #expect(try SimulatedTestRequest.parse(start("sim:9"), channelIndex: 1, cellIDPrefix: "lab").cell.cellID == "lab-ch2-9")
    }

    @Test func whatCannotRunIsRefusedClearly() {
        #expect(refusal(start("cc-cv 0.5C"))?.contains("'sim:PRESET'") == true)
        #expect(refusal(start("sim:nonesuch"))?.contains("no simulator preset 'nonesuch'") == true)
        #expect(refusal(start("sim:1", testID: "test-7"))?.contains("not a UUID") == true)
        var full = Cellfleet_Wire_V1_Cell()
        full.cellID = "c1"
        full.cellType = .full
        #expect(refusal(start("sim:1", cell: full))?.contains("simulates a symmetric cell") == true)
        #expect(refusal(start("sim:1", cell: full).with { $0.protocol = "sim:9" }) == nil)
    }

    /// The simulator has no half-cell presets: a half cell is refused, not simulated as a full one.
    @Test func aHalfCellIsRefusedRatherThanFaked() {
        var half = Cellfleet_Wire_V1_Cell()
        half.cellID = "gr-07"
        half.cellType = .half
        half.workingElectrode = .anode
        for preset in ["sim:1", "sim:9"] {
            #expect(refusal(start(preset, cell: half))?.contains("no half-cell presets") == true, "\(preset)")
        }
        var newer = Cellfleet_Wire_V1_Cell()
        newer.cellType = .UNRECOGNIZED(9)
        #expect(refusal(start("sim:9", cell: newer))?.contains("simulates a full cell") == true)
    }

    /// The command's voltage limits are the test's; limits the coordinator would refuse are
    /// refused here, before a TestStart that could never be stored reaches the spool.
    @Test func theCommandsVoltageLimitsAreKeptWhenTheyMakeSense() throws {
        var full = Cellfleet_Wire_V1_Cell()
        full.cellType = .full
        full.voltageMinV = 3.0
        full.voltageMaxV = 4.2
        let request = try SimulatedTestRequest.parse(start("sim:9", cell: full), channelIndex: 1, cellIDPrefix: "lab")
        #expect(request.cell.voltageMinVolts == 3.0 && request.cell.voltageMaxVolts == 4.2)
        #expect(Cellfleet_Wire_V1_Cell(request.cell).voltageMaxV == 4.2)
        // Not given: the preset's (none).
        #expect(try SimulatedTestRequest.parse(start("sim:9"), channelIndex: 1, cellIDPrefix: "lab").cell.voltageMinVolts == nil)

        #expect(refusal(start("sim:9", cell: full.with { $0.voltageMinV = 4.5 }))?.contains("is not below voltage_max_v") == true)
        #expect(refusal(start("sim:9", cell: full.with { $0.voltageMaxV = .nan }))?.contains("not a finite number") == true)
        #expect(refusal(start("sim:9", cell: full.with { $0.workingElectrode = .cathode }))?.contains("only for CELL_TYPE_HALF") == true)
        // A type the command leaves open is the preset's, and a full preset's limits are not negative.
        var open = Cellfleet_Wire_V1_Cell()
        open.voltageMinV = -1
        open.voltageMaxV = 1
        #expect(refusal(start("sim:9", cell: open))?.contains("preset '9' with the command's cell") == true)
        #expect(refusal(start("sim:1", cell: open)) == nil)
    }
}

extension Cellfleet_Wire_V1_StartTest {
    func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }
}

extension Cellfleet_Wire_V1_Cell {
    func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }
}
