/// Symmetric cells (Li | SE | Li) swing around 0 V and are judged by overpotential; full cells
/// (Li | SE | LiCoO2) sit at their open-circuit voltage and are judged by capacity.
public enum CellType: String, Sendable, Hashable, Codable, CaseIterable {
    case symmetric
    case full
}

/// What a lab knows about a cell before its test starts. Areas and masses are SI
/// (m², kg) like everything else in the core; the CLI converts from cm² and mg at the edge.
public struct CellMetadata: Sendable, Hashable, Codable {
    public var cellID: String
    public var cellType: CellType
    public var electrodeAreaSquareMeters: Double?
    public var activeMassKilograms: Double?
    public var nominalCapacityAmpHours: Double?
    /// Free-form grouping such as `coating = LiAlO2` or `batch = 2026-11-A`.
    public var attributes: [String: String]

    public init(
        cellID: String,
        cellType: CellType,
        electrodeAreaSquareMeters: Double? = nil,
        activeMassKilograms: Double? = nil,
        nominalCapacityAmpHours: Double? = nil,
        attributes: [String: String] = [:]
    ) {
        self.cellID = cellID
        self.cellType = cellType
        self.electrodeAreaSquareMeters = electrodeAreaSquareMeters
        self.activeMassKilograms = activeMassKilograms
        self.nominalCapacityAmpHours = nominalCapacityAmpHours
        self.attributes = attributes
    }
}
