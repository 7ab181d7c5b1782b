import DeliveryProtocol
import Foundation
import Testing
import TestSupport
import WireProtocol

/// Commands go through the delivery rules: executed once per command id, a repeat answered with
/// the first outcome, also after a restart (the outcomes are stored beside the spool).
struct AgentCommandRulesTests {
    @Test func aCommandIsExecutedOnceAndARepeatGetsTheSameAnswer() {
        var agent = AgentDeliveryScript()
        let stop = Cellfleet_Wire_V1_Command.stop("ch2", id: 7)
        agent.expect(0, .command(stop), [.executeCommand(stop)])
        // Sent again while it is being executed: its result goes out when it is done.
        agent.expect(10, .command(stop), [])
        let outcome = CommandOutcome(commandID: 7, ok: true, message: "channel ch2 stopped")
        agent.expect(20, .executed(outcome), [.persistCommandOutcome, .sendCommandResult(outcome)])
        agent.expect(30, .command(stop), [.sendCommandResult(outcome)])
        #expect(agent.machine.executedCommands.outcome(of: 7) == outcome)
    }

    @Test func aRestartedAgentAnswersARepeatWithoutExecutingIt() throws {
        let outcome = CommandOutcome(commandID: 9, ok: false, message: "no running test on channel ch1")
        var before = ExecutedCommands()
        before.record(outcome)
        // As stored in channels.json and read back by the next run.
        let stored = try JSONEncoder().encode(before)
        let after = try JSONDecoder().decode(ExecutedCommands.self, from: stored)
        #expect(after == before)
        var agent = AgentDeliveryScript(executedCommands: after)
        agent.expect(0, .command(.stop("ch1", id: 9)), [.sendCommandResult(outcome)])
        let other = Cellfleet_Wire_V1_Command.stop("ch1", id: 10)
        agent.expect(10, .command(other), [.executeCommand(other)])
    }

    @Test func aCommandWithoutAnIdIsExecutedEachTime() {
        var agent = AgentDeliveryScript()
        let anonymous = Cellfleet_Wire_V1_Command.stop("ch1", id: 0)
        agent.expect(0, .command(anonymous), [.executeCommand(anonymous)])
        let outcome = CommandOutcome(commandID: 0, ok: true, message: "channel ch1 stopped")
        agent.expect(10, .executed(outcome), [.persistCommandOutcome, .sendCommandResult(outcome)])
        agent.expect(20, .command(anonymous), [.executeCommand(anonymous)])
        #expect(agent.machine.executedCommands.outcomes.isEmpty)
    }

    @Test func commandsDoNotDisturbTheDeliveryWindow() {
        var agent = AgentDeliveryScript(outstanding: 1...3)
        #expect(agent.open(credit: 2) == [.sendDeliveries([1, 2])])
        let stop = Cellfleet_Wire_V1_Command.stop("ch1", id: 3)
        agent.expect(100, .command(stop), [.executeCommand(stop)])
        let outcome = CommandOutcome(commandID: 3, ok: true, message: "channel ch1 stopped")
        agent.expect(110, .executed(outcome), [.persistCommandOutcome, .sendCommandResult(outcome)])
        agent.expect(120, .appended(4...4), [])
        agent.expect(200, .acked([1, 2]), [.forget([1, 2]), .sendDeliveries([3, 4])])
    }

    @Test func theOutcomesKeptAreBoundedOldestFirst() {
        var commands = ExecutedCommands(capacity: 3)
        for id in UInt64(1)...5 { commands.record(CommandOutcome(commandID: id, ok: true, message: "\(id)")) }
        #expect(commands.outcomes.map(\.commandID) == [3, 4, 5])
        #expect(commands.outcome(of: 1) == nil)
        // Recording an id again keeps one outcome for it, the newest.
        commands.record(CommandOutcome(commandID: 4, ok: false, message: "again"))
        #expect(commands.outcomes.map(\.commandID) == [3, 5, 4])
        #expect(commands.outcome(of: 4)?.message == "again")
    }
}
