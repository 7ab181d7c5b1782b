/// What a cell is, which decides the rules it is judged by (docs/detectors.md §1.3): a symmetric
/// cell (Li | SE | Li) swings around 0 V and is judged by overpotential; a half cell (a working
/// electrode against a lithium counter) and a full cell sit at their electrodes' potentials and are
/// judged by capacity, each in its own operating window.
public enum CellType: String, Sendable, Hashable, Codable, CaseIterable {
    case symmetric
    case half
    case full
}

/// A half cell's working electrode. It decides which direction lithiates the working electrode and
/// so what coulombic efficiency means: an anode (graphite, silicon, hard carbon at 0.005–1.5 V
/// against Li) starts by lithiating, on a *discharge* of the cell; a cathode (3–4.5 V) starts by
/// delithiating, on a charge, as a full cell does.
public enum WorkingElectrode: String, Sendable, Hashable, Codable, CaseIterable {
    case anode
    case cathode
}

/// What a lab knows about a cell before its test starts. Areas and masses are SI
/// (m², kg) like everything else in the core; the CLI converts from cm² and mg at the edge.
public struct CellMetadata: Sendable, Hashable, Codable {
    public var cellID: String
    public var cellType: CellType
    /// Only for half cells; nil there means "infer it from the voltage".
    public var workingElectrode: WorkingElectrode?
    public var electrodeAreaSquareMeters: Double?
    public var activeMassKilograms: Double?
    public var nominalCapacityAmpHours: Double?
    /// The protocol's voltage limits, when the lab gives them; otherwise the detector learns the
    /// window from the cell's first cycles.
    public var voltageMinVolts: Double?
    public var voltageMaxVolts: Double?
    /// Free-form grouping such as `coating = LiAlO2` or `batch = 2026-11-A`.
    public var attributes: [String: String]

    public init(
        cellID: String,
        cellType: CellType,
        workingElectrode: WorkingElectrode? = nil,
        electrodeAreaSquareMeters: Double? = nil,
        activeMassKilograms: Double? = nil,
        nominalCapacityAmpHours: Double? = nil,
        voltageMinVolts: Double? = nil,
        voltageMaxVolts: Double? = nil,
        attributes: [String: String] = [:]
    ) {
        self.cellID = cellID
        self.cellType = cellType
        self.workingElectrode = workingElectrode
        self.electrodeAreaSquareMeters = electrodeAreaSquareMeters
        self.activeMassKilograms = activeMassKilograms
        self.nominalCapacityAmpHours = nominalCapacityAmpHours
        self.voltageMinVolts = voltageMinVolts
        self.voltageMaxVolts = voltageMaxVolts
        self.attributes = attributes
    }
}
