@testable import CellfleetAgent
import DeliveryProtocol
import Foundation
import Testing
import TestSupport

/// `channels.json` only gains optional fields: the 0.1.0 file reads as it is, and what is added
/// round-trips.
@Suite struct ChannelRegistryTests {
    @Test func theFileOfA010AgentReads() throws {
        let fixture = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/spool-0.1.0")
        let registry = try ChannelRegistry.load(from: fixture, agentID: "ignored")
        #expect(registry.agentID == "upgrade-agent")
        #expect(registry.tests.count == 3)
        #expect(registry.tests["ch2"]?.testID == "55eba127-ec29-4d58-b0b0-bba1022ed194")
        #expect(registry.tests["ch2"]?.scenario == "4" && registry.tests["ch2"]?.seed == 7)
        #expect(registry.tests.values.allSatisfy { $0.resume == nil })
        #expect(registry.commands == nil)
    }

    @Test func resumePointsAndCommandOutcomesRoundTrip() throws {
        let directory = TestPaths.temporaryDirectory("registry")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Fixtures/spool-0.1.0")
        var registry = try ChannelRegistry.load(from: fixture, agentID: "ignored")
        registry.tests["ch1"]?.resume = .init(afterSequence: 42, token: #"{"samplesTaken":42,"scenario":"1","seed":7}"#)
        var commands = ExecutedCommands()
        commands.record(CommandOutcome(commandID: 5, ok: true, message: "channel ch3 stopped"))
        registry.commands = commands
        try registry.store(in: directory)
        let read = try ChannelRegistry.load(from: directory, agentID: "ignored")
        #expect(read.tests["ch1"]?.resume == registry.tests["ch1"]?.resume)
        #expect(read.commands == commands)
        #expect(read.tests["ch3"]?.cell == registry.tests["ch3"]?.cell)
    }
}
