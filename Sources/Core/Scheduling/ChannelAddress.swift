/// A channel anywhere in the fleet, named `AGENT/CHANNEL` in commands (a channel id is unique
/// only within its agent).
public struct ChannelAddress: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var agentID: String
    public var channelID: String

    public init(agentID: String, channelID: String) {
        self.agentID = agentID
        self.channelID = channelID
    }

    /// `AGENT/CHANNEL`; the agent id is everything before the first `/`.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let agent = String(text[..<slash]), channel = String(text[text.index(after: slash)...])
        guard !agent.isEmpty, !channel.isEmpty else { return nil }
        self.init(agentID: agent, channelID: channel)
    }

    public var description: String { "\(agentID)/\(channelID)" }

    public static func < (a: ChannelAddress, b: ChannelAddress) -> Bool {
        (a.agentID, a.channelID) < (b.agentID, b.channelID)
    }
}

/// What a channel can run, as its agent announced it.
public struct ChannelAbilities: Sendable, Hashable, Codable {
    public var make: String
    public var model: String
    public var currentMinAmperes: Double
    public var currentMaxAmperes: Double
    public var voltageMinVolts: Double
    public var voltageMaxVolts: Double
    public var auxTemperature: Bool
    /// A simulated channel runs `sim:` presets on a command; a real one needs a person to load it.
    public var simulated: Bool

    public init(
        make: String, model: String = "", currentMinAmperes: Double, currentMaxAmperes: Double, voltageMinVolts: Double,
        voltageMaxVolts: Double, auxTemperature: Bool = false, simulated: Bool = false
    ) {
        self.make = make
        self.model = model
        self.currentMinAmperes = currentMinAmperes
        self.currentMaxAmperes = currentMaxAmperes
        self.voltageMinVolts = voltageMinVolts
        self.voltageMaxVolts = voltageMaxVolts
        self.auxTemperature = auxTemperature
        self.simulated = simulated
    }
}
