import CellModel

/// A cell on the wire and in the core. The wire says "unknown" with 0 and UNSPECIFIED, the core
/// with nil. Values a newer peer may send that this build does not know read as unknown, as
/// `StepType` reads unknown steps as `.other`: a v1 receiver never crashes on an additive change.
///
/// Area, mass and capacity of 0 read as unknown. Negative or non-finite ones, and enum values this
/// build does not know, are refused by the coordinator before they get here
/// (`DeliveryValidator.validate`, issue 17: storing them as "unknown" hid an agent's fault from
/// it); read here they still become unknown, so no reader of the core crashes on them. The fields
/// added later within v1 — the working electrode and the voltage limits — are checked in
/// `problem`: a detector fed inverted limits or an anode on a full cell would judge the cell by
/// the wrong window.
extension Cellfleet_Wire_V1_Cell {
    public init(_ metadata: CellMetadata) {
        self.init()
        cellID = metadata.cellID
        cellType = Cellfleet_Wire_V1_CellType(metadata.cellType)
        if metadata.cellType == .half { workingElectrode = Cellfleet_Wire_V1_WorkingElectrode(metadata.workingElectrode) }
        electrodeAreaM2 = metadata.electrodeAreaSquareMeters ?? 0
        activeMassKg = metadata.activeMassKilograms ?? 0
        nominalCapacityAh = metadata.nominalCapacityAmpHours ?? 0
        voltageMinV = metadata.voltageMinVolts ?? 0
        voltageMaxV = metadata.voltageMaxVolts ?? 0
        attributes = metadata.attributes
    }

    /// nil when unspecified or a newer peer's type.
    public var knownCellType: CellType? { CellType(cellType) }

    /// A half cell's working electrode; nil for other cells, or when unspecified or unknown.
    public var knownWorkingElectrode: WorkingElectrode? {
        knownCellType == .half ? WorkingElectrode(workingElectrode) : nil
    }

    public var electrodeAreaSquareMeters: Double? { Self.positive(electrodeAreaM2) }
    public var activeMassKilograms: Double? { Self.positive(activeMassKg) }
    public var nominalCapacityAmpHours: Double? { Self.positive(nominalCapacityAh) }
    public var voltageMinVolts: Double? { voltageMinV == 0 ? nil : voltageMinV }
    public var voltageMaxVolts: Double? { voltageMaxV == 0 ? nil : voltageMaxV }

    /// Why this cell cannot be taken as it is (a sentence naming the field), or nil.
    public var problem: String? {
        let known = knownCellType
        if workingElectrode != .unspecified, known != .half, known != nil || cellType == .unspecified {
            return "working_electrode is only for CELL_TYPE_HALF; cell \(cellID) is \(known.map { "a \($0.rawValue) cell" } ?? "of no cell type")"
        }
        for (name, value) in [("voltage_min_v", voltageMinV), ("voltage_max_v", voltageMaxV)] {
            guard value.isFinite else { return "\(name) of cell \(cellID) is \(value), not a finite number" }
            // A symmetric cell swings around 0 V; a half or full cell sits at its electrodes' potentials.
            if value < 0, known == .half || known == .full {
                return "\(name) of cell \(cellID) is \(value) V: a \(known!.rawValue) cell's limits are not negative"
            }
        }
        if let minimum = voltageMinVolts, let maximum = voltageMaxVolts, !(minimum < maximum) {
            return "voltage_min_v \(minimum) V of cell \(cellID) is not below voltage_max_v \(maximum) V"
        }
        return nil
    }

    /// The cell in core terms, `cellTypeIfUnknown` where the wire does not say (or says what this
    /// build does not know).
    public func metadata(cellTypeIfUnknown: CellType) throws(WireCellError) -> CellMetadata {
        if let problem { throw WireCellError(description: problem) }
        return CellMetadata(
            cellID: cellID,
            cellType: knownCellType ?? cellTypeIfUnknown,
            workingElectrode: knownWorkingElectrode,
            electrodeAreaSquareMeters: electrodeAreaSquareMeters,
            activeMassKilograms: activeMassKilograms,
            nominalCapacityAmpHours: nominalCapacityAmpHours,
            voltageMinVolts: voltageMinVolts,
            voltageMaxVolts: voltageMaxVolts,
            attributes: attributes
        )
    }

    private static func positive(_ value: Double) -> Double? { value > 0 && value.isFinite ? value : nil }
}

/// A wire cell that breaks the rules of `Cellfleet_Wire_V1_Cell.problem`.
public struct WireCellError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

extension Cellfleet_Wire_V1_CellType {
    public init(_ cellType: CellType) {
        self = switch cellType {
        case .symmetric: .symmetric
        case .half: .half
        case .full: .full
        }
    }
}

extension CellType {
    /// nil for UNSPECIFIED and for a newer peer's value.
    public init?(_ wire: Cellfleet_Wire_V1_CellType) {
        switch wire {
        case .symmetric: self = .symmetric
        case .half: self = .half
        case .full: self = .full
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }
}

extension Cellfleet_Wire_V1_WorkingElectrode {
    public init(_ electrode: WorkingElectrode?) {
        self = switch electrode {
        case .anode: .anode
        case .cathode: .cathode
        case nil: .unspecified
        }
    }
}

extension WorkingElectrode {
    /// nil for UNSPECIFIED and for a newer peer's value.
    public init?(_ wire: Cellfleet_Wire_V1_WorkingElectrode) {
        switch wire {
        case .anode: self = .anode
        case .cathode: self = .cathode
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }
}
