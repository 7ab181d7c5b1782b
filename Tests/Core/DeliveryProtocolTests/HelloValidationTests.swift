import DeliveryProtocol
import Testing
import WireProtocol

/// A hello is checked before its agent is registered (issue 17 §1): a NUL byte used to fail in
/// PostgreSQL and leave the agent without an answer, and a 200 MB version was stored.
@Suite struct HelloValidationTests {
    static func good() -> Cellfleet_Wire_V1_Hello {
        var hello = Cellfleet_Wire_V1_Hello()
        hello.agentID = "lab-a"
        hello.softwareVersion = "0.9.0"
        hello.minProtocolVersion = 1
        hello.maxProtocolVersion = 1
        for id in ["ch1", "ch2"] {
            var channel = Cellfleet_Wire_V1_Channel()
            channel.channelID = id
            channel.cyclerMake = "LAND"
            channel.cyclerModel = "CT-2001A"
            channel.currentMaxA = 0.01
            channel.voltageMaxV = 5
            hello.channels.append(channel)
        }
        return hello
    }

    @Test func aGoodHelloPasses() {
        #expect(DeliveryValidator.validate(Self.good(), agentID: "lab-a") == nil)
        var none = Self.good()
        none.channels = []
        #expect(DeliveryValidator.validate(none, agentID: "lab-a") == nil, "an agent may have no channel yet")
    }

    @Test(arguments: [
        ("NUL in version", "software_version"), ("long version", "software_version"), ("NUL in routing id", "routing id"),
        ("empty routing id", "routing id"), ("NUL in channel id", "channel_id"), ("long model", "cycler_model"),
        ("twice", "announced twice"), ("no id", "empty channel_id"), ("NaN range", "current_max_a"), ("too many", "more than"),
    ])
    func aBadFieldIsRefusedByName(_ fault: String, field: String) throws {
        var hello = Self.good()
        var agentID = "lab-a"
        switch fault {
        case "NUL in version": hello.softwareVersion = "0.9\u{0}"
        case "long version": hello.softwareVersion = String(repeating: "9", count: DeliveryValidator.maximumIdentifierBytes + 1)
        case "NUL in routing id": agentID = "lab\u{0}a"
        case "empty routing id": agentID = ""
        case "NUL in channel id": hello.channels[0].channelID = "ch\u{0}1"
        case "long model": hello.channels[1].cyclerModel = String(repeating: "m", count: 300)
        case "twice": hello.channels[1].channelID = "ch1"
        case "no id": hello.channels[0].channelID = ""
        case "NaN range": hello.channels[0].currentMaxA = .nan
        case "too many": hello.channels = Array(repeating: hello.channels[0], count: DeliveryValidator.maximumChannels + 1)
        default: Issue.record("no such fault \(fault)")
        }
        let problem = try #require(DeliveryValidator.validate(hello, agentID: agentID), "\(fault) passed")
        #expect(problem.contains(field), "\(fault): \(problem)")
    }
}
