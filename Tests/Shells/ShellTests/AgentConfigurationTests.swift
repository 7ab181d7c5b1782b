import TestSupport
import CellfleetAgent
import Foundation
import Testing

@Suite struct AgentConfigurationTests {
    @Test func theShippedExampleLoads() throws {
        let url = TestPaths.repositoryRoot.appendingPathComponent("agents/simulated-16.toml")
        let configuration = try AgentConfiguration.load(tomlFile: url)
        #expect(configuration.agentID == "sim-lab-1")
        #expect(configuration.simulatedChannels == 16)
        #expect(configuration.sampleRateHertz == 200)
        #expect(configuration.spoolCapacityBytes == 1024 * 1_048_576)
        #expect(configuration.spoolDirectory.path.hasSuffix("cellfleet-data/spool-sim-lab-1"))
        #expect(!configuration.spoolDirectory.path.contains(".."))
    }

    func load(_ text: String) throws -> AgentConfiguration {
        let directory = TestPaths.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("agent.toml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return try AgentConfiguration.load(tomlFile: url)
    }

    @Test func anUnknownKeyIsAnErrorNotIgnored() {
        #expect(throws: AgentConfiguration.Invalid.self) {
            try load("agent_id = \"a\"\nspool_capacity = 5\n[coordinator]\nendpoint = \"tcp://x:1\"\n[spool]\ndirectory = \"s\"\n")
        }
    }

    @Test func missingEssentialsAreNamed() {
        do {
            _ = try load("agent_id = \"a\"\n[coordinator]\nendpoint = \"tcp://x:1\"\n")
            Issue.record("a configuration without a spool was accepted")
        } catch {
            #expect("\(error)".contains("[spool] directory"))
        }
    }

    @Test func nonsenseValuesAreRefused() {
        #expect(throws: AgentConfiguration.Invalid.self) {
            try load("agent_id = \"a\"\n[coordinator]\nendpoint = \"tcp://x:1\"\n[spool]\ndirectory = \"s\"\n[simulate]\nchannels = 2\nrate_hz = -1\n")
        }
    }

    @Test func onFailIsReadAndOnlyItsTwoValuesAreTaken() throws {
        let base = "agent_id = \"a\"\n[coordinator]\nendpoint = \"tcp://x:1\"\n[spool]\ndirectory = \"s\"\n"
        #expect(try load(base).onFail == nil)
        #expect(try load("on_fail = \"stop\"\n" + base).onFail == .stop)
        #expect(try load("on_fail = \"notify\"\n" + base).onFail == .notify)
        do {
            _ = try load("on_fail = \"halt\"\n" + base)
            Issue.record("on_fail = halt was accepted")
        } catch {
            #expect("\(error)".contains("on_fail must be"))
        }
    }

    @Test func aHeadStartNamesAKnownPresetAndAFiniteNumberOfHours() throws {
        var configuration = AgentConfiguration(agentID: "a", coordinatorEndpoint: "tcp://x:1", spoolDirectory: URL(fileURLWithPath: "s"))
        configuration.headStartHours = ["4": 104]
        try configuration.validate()
        configuration.headStartHours = ["no-such-preset": 1]
        #expect(throws: AgentConfiguration.Invalid.self) { try configuration.validate() }
        configuration.headStartHours = ["4": -1]
        #expect(throws: AgentConfiguration.Invalid.self) { try configuration.validate() }
        configuration.headStartHours = ["4": .nan]
        #expect(throws: AgentConfiguration.Invalid.self) { try configuration.validate() }
    }
}
