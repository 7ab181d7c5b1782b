import AgentSpool
import DeliveryProtocol
import Foundation
import WireProtocol

/// The coordinator's commands, executed when the delivery rules say so (once per command id).
/// A command's effect (a TestStart or TestEnd) is durable in the spool before its outcome is
/// recorded; the rules then have the outcome stored beside the spool before it is sent.
extension AgentRuntime {
    func execute(_ command: Cellfleet_Wire_V1_Command, now: ContinuousClock.Instant) -> CommandOutcome {
        let id = command.commandID
        do {
            switch command.action {
            case .stopChannel(let stop):
                return CommandOutcome(commandID: id, ok: true, message: try stopChannel(stop, now: now))
            case .startTest(let start):
                return CommandOutcome(commandID: id, ok: true, message: try startTest(start, now: now))
            case nil:
                return CommandOutcome(commandID: id, ok: false, message: "empty command")
            }
        } catch let refusal as CommandRefusal {
            return CommandOutcome(commandID: id, ok: false, message: refusal.message)
        } catch {
            // A full disk: the command's effect was not spooled, and the agent waits for room.
            if error.isSpoolOutOfSpace { noteOutOfSpace(error, now: now) }
            return CommandOutcome(commandID: id, ok: false, message: "could not execute: \(error)")
        }
    }

    /// While appends fail for a full disk a command is refused at once, changing nothing, rather
    /// than half done (its effect appended but not durable when its outcome is sent).
    private func refuseWhileDiskFull() throws {
        guard production == .diskFull, let episode = diskFull else { return }
        throw CommandRefusal(message: "the agent's spool file system is full (\(episode.firstFailure)); try again when it has room")
    }

    private func stopChannel(_ stop: Cellfleet_Wire_V1_StopChannel, now: ContinuousClock.Instant) throws -> String {
        guard let index = channels.firstIndex(where: { $0.channelID == stop.channelID && !$0.isIdle }) else {
            if let followed = registry.followedExperiments.values.first(where: { $0.channelID == stop.channelID && !$0.ended && isInScope($0) }) {
                // The agent only reads a real cycler's export files; it has no hand on the instrument.
                throw CommandRefusal(message: "channel \(stop.channelID) is a real cycler this agent follows through its export file \(followed.parts.last?.relativePath ?? ""); it cannot stop the instrument")
            }
            throw CommandRefusal(message: "no running test on channel \(stop.channelID)")
        }
        try refuseWhileDiskFull()
        do {
            try endTest(on: index, reason: stop.reason.isEmpty ? "stopped" : "stopped: \(stop.reason)", now: now)
            try syncSpool(now: now)
        } catch {
            if error.isSpoolOutOfSpace { noteOutOfSpace(error, now: now) }
            throw CommandRefusal(message: "could not stop: \(error)")
        }
        return "channel \(stop.channelID) stopped"
    }

    private func startTest(_ start: Cellfleet_Wire_V1_StartTest, now: ContinuousClock.Instant) throws -> String {
        guard let index = channels.firstIndex(where: { $0.channelID == start.channelID }) else {
            throw CommandRefusal(message: "there is no channel \(start.channelID) on this agent (it has \(channels.map(\.channelID).joined(separator: ", ")))")
        }
        guard production == .producing || production == .spoolFull || production == .diskFull else {
            throw CommandRefusal(message: "the agent has finished producing and starts no more tests")
        }
        if let running = channels[index].runningTest {
            throw CommandRefusal(message: "channel \(start.channelID) is running test \(running.testID); stop it first")
        }
        if case .waitingToStart(let testID, _) = channels[index].activity {
            throw CommandRefusal(message: "channel \(start.channelID) is about to start test \(testID) (held back by a full disk); stop it first")
        }
        try refuseWhileDiskFull()
        let request = try SimulatedTestRequest.parse(start, channelIndex: index, cellIDPrefix: configuration.agentID)
        if let other = channels.first(where: { $0.runningTest?.testID == request.testID }) {
            throw CommandRefusal(message: "test \(request.testID) is already running on channel \(other.channelID)")
        }
        // A test id names one test: samples of a second run under it would be taken for
        // re-deliveries of the first and dropped.
        guard spool.highestSequence(forTest: request.testID) == 0 else {
            throw CommandRefusal(message: "test \(request.testID) already has samples from this agent; a test id is used once")
        }
        let source = try SimulatedChannel(
            channelIndex: index, scenario: request.preset, seed: configuration.seed, testSecondsPerSample: testSecondsPerSample,
            cellIDPrefix: configuration.agentID, cell: request.cell, pacing: pacing(from: now), durationSeconds: request.durationSeconds)
        try startTest(on: index, testID: request.testID, source: source, now: now, unixTime: Date().timeIntervalSince1970)
        try syncSpool(now: now)
        let length = request.durationSeconds.map { ", for \($0 / 3600) h of test time" } ?? ""
        return "channel \(start.channelID) started test \(request.testID) (simulator preset \(request.preset)\(length))"
    }
}
