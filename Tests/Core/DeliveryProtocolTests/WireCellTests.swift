import CellModel
import Foundation
import PropertyBased
import Testing
import WireProtocol

/// A cell survives core → wire → bytes → wire → core unchanged, whatever it is; the wire's
/// "unknown" (0, UNSPECIFIED, a newer peer's value) reads as nil; and a cell whose newer fields
/// make no sense is refused with a sentence naming the field.
struct WireCellTests {
    /// Any cell the core can describe and the wire can carry: limits are never exactly 0 (the
    /// wire's "unknown") and only a half cell has a working electrode.
    static func cell(_ code: UInt64) -> CellMetadata {
        var code = code
        func take(_ n: UInt64) -> UInt64 { defer { code /= n }; return code % n }
        func maybe(_ value: Double) -> Double? { take(2) == 0 ? nil : value }
        let type = CellType.allCases[Int(take(3))]
        let electrode: WorkingElectrode? = type == .half ? [nil, .anode, .cathode][Int(take(3))] : nil
        // A symmetric cell's window straddles 0 V; the others' lie above it.
        let low = type == .symmetric ? -Double(1 + take(50)) / 10 : Double(1 + take(400)) / 100
        let high = type == .symmetric ? Double(1 + take(50)) / 10 : low + Double(1 + take(30)) / 10
        return CellMetadata(
            cellID: "cell-\(take(1000))", cellType: type, workingElectrode: electrode,
            electrodeAreaSquareMeters: maybe(Double(1 + take(100)) * 1e-6),
            activeMassKilograms: maybe(Double(1 + take(100)) * 1e-7),
            nominalCapacityAmpHours: maybe(Double(1 + take(100)) * 1e-4),
            voltageMinVolts: maybe(low), voltageMaxVolts: maybe(high),
            attributes: take(2) == 0 ? [:] : ["batch": "b\(take(9))", "coating": "LiAlO2"])
    }

    static func throughTheWire(_ metadata: CellMetadata) throws -> Cellfleet_Wire_V1_Cell {
        try Cellfleet_Wire_V1_Cell(serializedBytes: try Cellfleet_Wire_V1_Cell(metadata).serializedBytes() as [UInt8])
    }

    @Test func everyCellSurvivesTheRoundTrip() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { code in
            let metadata = Self.cell(code)
            let wire = try Self.throughTheWire(metadata)
            #expect(wire.problem == nil)
            // The fallback type is never used: the wire says the type.
            #expect(try wire.metadata(cellTypeIfUnknown: metadata.cellType == .full ? .symmetric : .full) == metadata)
        }
    }

    @Test func aHalfCellOnTheWire() throws {
        let metadata = CellMetadata(cellID: "gr-07", cellType: .half, workingElectrode: .cathode, voltageMinVolts: 3.0, voltageMaxVolts: 4.3)
        let wire = Cellfleet_Wire_V1_Cell(metadata)
        #expect(wire.cellType == .half && wire.cellType.rawValue == 3)
        #expect(wire.workingElectrode == .cathode && wire.workingElectrode.rawValue == 2)
        #expect(wire.voltageMinV == 3.0 && wire.voltageMaxV == 4.3)
        // Unknowns are the wire's zeros.
        #expect(wire.electrodeAreaM2 == 0 && wire.activeMassKg == 0 && wire.nominalCapacityAh == 0)
        // An electrode the core gives a non-half cell is not sent: the wire would refuse it.
        var full = metadata
        full.cellType = .full
        #expect(Cellfleet_Wire_V1_Cell(full).workingElectrode == .unspecified)
    }

    @Test func theWiresUnknownsReadAsNil() throws {
        var wire = Cellfleet_Wire_V1_Cell()
        wire.cellID = "c"
        let unknown = try wire.metadata(cellTypeIfUnknown: .symmetric)
        #expect(unknown == CellMetadata(cellID: "c", cellType: .symmetric))
        // A newer peer's cell type and electrode: unknown, not an error and not a crash.
        wire.cellType = .UNRECOGNIZED(9)
        wire.workingElectrode = .UNRECOGNIZED(7)
        #expect(wire.problem == nil)
        #expect(wire.knownCellType == nil && wire.knownWorkingElectrode == nil)
        #expect(try wire.metadata(cellTypeIfUnknown: .full).cellType == .full)
        wire.cellType = .half
        #expect(wire.problem == nil && wire.knownWorkingElectrode == nil)
        // Area, mass and capacity that are not positive read as unknown, as they did before the
        // newer fields (v1 agents may send them).
        wire.electrodeAreaM2 = -1
        wire.activeMassKg = .nan
        wire.nominalCapacityAh = .infinity
        let lenient = try wire.metadata(cellTypeIfUnknown: .full)
        #expect(lenient.electrodeAreaSquareMeters == nil && lenient.activeMassKilograms == nil && lenient.nominalCapacityAmpHours == nil)
    }

    @Test func senselessNewerFieldsAreRefusedNamingTheField() {
        func problem(_ change: (inout Cellfleet_Wire_V1_Cell) -> Void) -> String? {
            var wire = Cellfleet_Wire_V1_Cell()
            wire.cellID = "c9"
            change(&wire)
            #expect(throws: WireCellError.self) { try wire.metadata(cellTypeIfUnknown: .full) }
            return wire.problem
        }
        #expect(problem { $0.cellType = .full; $0.workingElectrode = .anode }?.contains("working_electrode is only for CELL_TYPE_HALF; cell c9 is a full cell") == true)
        #expect(problem { $0.cellType = .symmetric; $0.workingElectrode = .cathode }?.contains("a symmetric cell") == true)
        #expect(problem { $0.workingElectrode = .anode }?.contains("of no cell type") == true)
        #expect(problem { $0.voltageMinV = .nan }?.contains("voltage_min_v of cell c9 is nan, not a finite number") == true)
        #expect(problem { $0.voltageMaxV = .infinity }?.contains("voltage_max_v") == true)
        #expect(problem { $0.cellType = .half; $0.voltageMinV = -0.1; $0.voltageMaxV = 1.5 }?.contains("a half cell's limits are not negative") == true)
        #expect(problem { $0.cellType = .full; $0.voltageMaxV = -3 }?.contains("voltage_max_v of cell c9 is -3.0 V") == true)
        #expect(problem { $0.voltageMinV = 4.2; $0.voltageMaxV = 3.0 }?.contains("voltage_min_v 4.2 V of cell c9 is not below voltage_max_v 3.0 V") == true)
        #expect(problem { $0.voltageMinV = 1; $0.voltageMaxV = 1 } != nil)
    }

    @Test func aSymmetricCellOrOneOfUnknownTypeMayHaveANegativeLowerLimit() throws {
        for type in [Cellfleet_Wire_V1_CellType.symmetric, .unspecified, .UNRECOGNIZED(5)] {
            var wire = Cellfleet_Wire_V1_Cell()
            wire.cellType = type
            wire.voltageMinV = -2
            wire.voltageMaxV = 2
            #expect(wire.problem == nil)
            #expect(try wire.metadata(cellTypeIfUnknown: .symmetric).voltageMinVolts == -2)
        }
    }

    @Test func enumsMapBothWays() {
        for type in CellType.allCases { #expect(CellType(Cellfleet_Wire_V1_CellType(type)) == type) }
        for electrode in WorkingElectrode.allCases { #expect(WorkingElectrode(Cellfleet_Wire_V1_WorkingElectrode(electrode)) == electrode) }
        #expect(CellType(.unspecified) == nil && WorkingElectrode(.unspecified) == nil)
        #expect(Cellfleet_Wire_V1_WorkingElectrode(nil) == .unspecified)
    }
}
