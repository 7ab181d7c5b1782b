/// What a channel runs for a request: a simulator preset on a simulated channel (`sim:PRESET`), or
/// a vendor schedule a person loads on a real cycler, with what the channel must be able to do.
public enum TestProtocol: Sendable, Hashable, Codable, CustomStringConvertible {
    case simulated(preset: String)
    case vendor(schedule: String, requirements: ChannelRequirements)

    /// `sim:PRESET`, or a vendor schedule's name (its requirements given apart).
    public init(_ text: String, requirements: ChannelRequirements = ChannelRequirements()) {
        if text.hasPrefix("sim:") {
            self = .simulated(preset: String(text.dropFirst(4)))
        } else {
            self = .vendor(schedule: text, requirements: requirements)
        }
    }

    public var description: String {
        switch self {
        case .simulated(let preset): "sim:\(preset)"
        case .vendor(let schedule, _): schedule
        }
    }

    /// Whether `channel` can run this.
    public func canRun(on channel: ChannelAbilities) -> Bool {
        switch self {
        case .simulated: return channel.simulated
        case .vendor(_, let requirements): return !channel.simulated && requirements.areMet(by: channel)
        }
    }
}

/// A vendor schedule's needs: the currents and voltages it drives (within the channel's ranges),
/// the cycler make its schedule file is for, an auxiliary temperature probe.
public struct ChannelRequirements: Sendable, Hashable, Codable {
    public var make: String?
    public var currentMinAmperes: Double?
    public var currentMaxAmperes: Double?
    public var voltageMinVolts: Double?
    public var voltageMaxVolts: Double?
    public var auxTemperature = false

    public init(
        make: String? = nil, currentMinAmperes: Double? = nil, currentMaxAmperes: Double? = nil, voltageMinVolts: Double? = nil,
        voltageMaxVolts: Double? = nil, auxTemperature: Bool = false
    ) {
        self.make = make
        self.currentMinAmperes = currentMinAmperes
        self.currentMaxAmperes = currentMaxAmperes
        self.voltageMinVolts = voltageMinVolts
        self.voltageMaxVolts = voltageMaxVolts
        self.auxTemperature = auxTemperature
    }

    /// The JSON keys of `study_groups.requirements` and the study file (docs/scheduling.md §5).
    enum CodingKeys: String, CodingKey {
        case make
        case currentMinAmperes = "current_min_a", currentMaxAmperes = "current_max_a"
        case voltageMinVolts = "voltage_min_v", voltageMaxVolts = "voltage_max_v"
        case auxTemperature = "aux_temperature"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        make = try container.decodeIfPresent(String.self, forKey: .make)
        currentMinAmperes = try container.decodeIfPresent(Double.self, forKey: .currentMinAmperes)
        currentMaxAmperes = try container.decodeIfPresent(Double.self, forKey: .currentMaxAmperes)
        voltageMinVolts = try container.decodeIfPresent(Double.self, forKey: .voltageMinVolts)
        voltageMaxVolts = try container.decodeIfPresent(Double.self, forKey: .voltageMaxVolts)
        auxTemperature = try container.decodeIfPresent(Bool.self, forKey: .auxTemperature) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(make, forKey: .make)
        try container.encodeIfPresent(currentMinAmperes, forKey: .currentMinAmperes)
        try container.encodeIfPresent(currentMaxAmperes, forKey: .currentMaxAmperes)
        try container.encodeIfPresent(voltageMinVolts, forKey: .voltageMinVolts)
        try container.encodeIfPresent(voltageMaxVolts, forKey: .voltageMaxVolts)
        if auxTemperature { try container.encode(true, forKey: .auxTemperature) }
    }

    public func areMet(by channel: ChannelAbilities) -> Bool {
        if let make, make.lowercased() != channel.make.lowercased() { return false }
        if let value = currentMinAmperes, value < channel.currentMinAmperes { return false }
        if let value = currentMaxAmperes, value > channel.currentMaxAmperes { return false }
        if let value = voltageMinVolts, value < channel.voltageMinVolts { return false }
        if let value = voltageMaxVolts, value > channel.voltageMaxVolts { return false }
        if auxTemperature, !channel.auxTemperature { return false }
        return true
    }
}

/// A cell waiting for a channel.
public struct CellRequest: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var cellID: String
    public var study: String
    public var group: String
    public var protocolToRun: TestProtocol
    /// Higher first.
    public var priority: Int
    /// Order of submission (FIFO among equal priorities); the queue keeps it across a release.
    public var submitted: UInt64

    public init(id: String, cellID: String, study: String, group: String, protocolToRun: TestProtocol, priority: Int, submitted: UInt64) {
        self.id = id
        self.cellID = cellID
        self.study = study
        self.group = group
        self.protocolToRun = protocolToRun
        self.priority = priority
        self.submitted = submitted
    }

    /// Higher priority first, then first submitted, then id (a total order: decisions are reproducible).
    public static func runsBefore(_ a: CellRequest, _ b: CellRequest) -> Bool {
        if a.priority != b.priority { return a.priority > b.priority }
        if a.submitted != b.submitted { return a.submitted < b.submitted }
        return a.id < b.id
    }
}
