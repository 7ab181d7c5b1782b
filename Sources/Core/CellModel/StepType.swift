/// What the instrument was doing during a step. The raw values are part of wire protocol v1
/// (`schemas/wire/cellfleet.proto`, enum `StepType`) and of the `samples.step_type` column: never
/// renumber them.
public enum StepType: Int32, Sendable, Hashable, Codable, CaseIterable {
    case unknown = 0
    case rest = 1
    case constantCurrentCharge = 2
    case constantVoltageCharge = 3
    case constantCurrentDischarge = 4
    case constantVoltageDischarge = 5
    case pulse = 6
    case impedance = 7
    case other = 8

    public var isCharge: Bool { self == .constantCurrentCharge || self == .constantVoltageCharge }
    public var isDischarge: Bool { self == .constantCurrentDischarge || self == .constantVoltageDischarge }

    /// The name in a BDF file's `step_type` column; nil (an empty field) for `unknown`.
    public var batteryDataFormatName: String? {
        switch self {
        case .unknown: nil
        case .rest: "rest"
        case .constantCurrentCharge: "constant_current_charge"
        case .constantVoltageCharge: "constant_voltage_charge"
        case .constantCurrentDischarge: "constant_current_discharge"
        case .constantVoltageDischarge: "constant_voltage_discharge"
        case .pulse: "pulse"
        case .impedance: "impedance"
        case .other: "other"
        }
    }

    /// The step type a `step_type` field names (case ignored); `unknown` for an empty or
    /// unrecognised one, as a file without the column reads.
    public init(batteryDataFormatName name: some StringProtocol) {
        let lowered = name.lowercased()
        self = Self.allCases.first { $0.batteryDataFormatName == lowered } ?? .unknown
    }
}
