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
}
