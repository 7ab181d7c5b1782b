import DeliveryProtocol
import Testing
import TestSupport
import WireProtocol

/// Drives an `AgentDeliveryStateMachine` through a script: each step happens at a time in
/// milliseconds (the `ManualClock` is moved there) and is checked against the actions expected.
struct AgentDeliveryScript {
    typealias Machine = AgentDeliveryStateMachine<ManualClock>
    typealias Action = Machine.Action

    /// An event without its instant (the script supplies it).
    enum Step {
        case appended(ClosedRange<UInt64>)
        case welcomed(credit: UInt32, version: UInt32 = 1)
        case acked([UInt64])
        case refused(Cellfleet_Wire_V1_ErrorCode, delivery: UInt64 = 0, expectedSequence: UInt64 = 0, message: String = "", earlierOfItsTestHeld: Bool = true)
        case tick(queued: Int = 0)
        case linkRefused
        case command(Cellfleet_Wire_V1_Command)
        case executed(CommandOutcome)
    }

    let clock = ManualClock()
    var machine: Machine

    init(
        outstanding: ClosedRange<UInt64>? = nil, rules: AgentDeliveryRules = AgentDeliveryRules(supportedProtocolVersions: 1...1),
        executedCommands: ExecutedCommands = ExecutedCommands()
    ) {
        machine = Machine(
            rules: rules,
            outstanding: OutstandingDeliveries(runs: outstanding.map { [$0] } ?? [], lastAppended: outstanding?.upperBound ?? 0),
            executedCommands: executedCommands, now: clock.now)
    }

    /// The instant `milliseconds` after the script's start.
    func instant(_ milliseconds: Int) -> ManualClock.Instant { .init(offset: .milliseconds(milliseconds)) }

    @discardableResult
    mutating func at(_ milliseconds: Int, _ step: Step) -> [Action] {
        let offset = Duration.milliseconds(milliseconds)
        precondition(offset >= clock.now.offset, "a script runs forward in time")
        let now = clock.advance(by: offset - clock.now.offset)
        let event: Machine.Event = switch step {
        case .appended(let ids): .appended(ids, at: now)
        case .welcomed(let credit, let version): .welcomed(credit: credit, protocolVersion: version, at: now)
        case .acked(let ids): .acknowledged(ids, at: now)
        case .refused(let code, let delivery, let expected, let message, let earlierHeld):
            .refused(code: code, deliveryID: delivery, expectedSequence: expected, message: message, earlierOfItsTestHeld: earlierHeld, at: now)
        case .tick(let queued): .tick(at: now, queuedInSocket: queued)
        case .linkRefused: .linkRefused(at: now)
        case .command(let command): .commandReceived(command, at: now)
        case .executed(let outcome): .commandExecuted(outcome)
        }
        return machine.handle(event)
    }

    /// Runs a step and expects exactly these actions, in this order.
    mutating func expect(_ milliseconds: Int, _ step: Step, _ actions: [Action], sourceLocation: SourceLocation = #_sourceLocation) {
        let got = at(milliseconds, step)
        #expect(got == actions, "at \(milliseconds) ms, \(step)", sourceLocation: sourceLocation)
    }

    /// Hello, then a welcome with `credit`: the usual opening, checked on the way.
    mutating func open(credit: UInt32, at milliseconds: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) -> [Action] {
        let greeting = at(milliseconds, .tick())
        #expect(greeting.contains(.sendHello), sourceLocation: sourceLocation)
        return at(milliseconds, .welcomed(credit: credit))
    }
}

extension Cellfleet_Wire_V1_Command {
    static func stop(_ channel: String, id: UInt64) -> Self {
        var command = Cellfleet_Wire_V1_Command()
        command.commandID = id
        var stop = Cellfleet_Wire_V1_StopChannel()
        stop.channelID = channel
        command.action = .stopChannel(stop)
        return command
    }
}
