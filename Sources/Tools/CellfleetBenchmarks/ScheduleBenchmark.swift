import Foundation
import Scheduling

/// `bench schedule`: a fleet of `channels` channels of a dozen kinds (simulated and real cyclers
/// of several makes and ranges) with `requests` cells queued over a mix of protocols, every
/// channel busy; then every channel's test ends at once and one scheduling pass fills the fleet
/// — the worst case of a full reschedule. The reference, in the same run, is sorting the queue
/// once by its order (priority, then FIFO): the least any scheduler must do.
public struct ScheduleBenchmark {
    public struct Result: Sendable {
        public var channels: Int
        public var requests: Int
        public var assigned: Int
        public var rescheduleMs: Double
        public var queueingMs: Double
        public var sortReferenceMs: Double
        /// A coordinator's round in memory: the scheduler rebuilt from the fleet's rows (every
        /// channel restored, every waiting request queued) and the same endings in one pass.
        public var roundRebuildMs: Double
        public var decisionsPerSecond: Double { Double(assigned) / max(rescheduleMs / 1000, 1e-9) }
    }

    public let channelCount: Int
    public let requestCount: Int

    public init(channels: Int, requests: Int) {
        channelCount = channels
        requestCount = requests
    }

    static let kinds: [ChannelAbilities] = {
        var kinds: [ChannelAbilities] = []
        for (make, amps) in [("LAND", 0.005), ("LAND", 0.05), ("Arbin", 5.0), ("Neware", 0.1), ("Neware", 1.0), ("Maccor", 10.0)] {
            kinds.append(ChannelAbilities(make: make, currentMinAmperes: -amps, currentMaxAmperes: amps, voltageMinVolts: make == "LAND" ? -5 : 0, voltageMaxVolts: 5))
            kinds.append(ChannelAbilities(make: make, currentMinAmperes: -amps, currentMaxAmperes: amps, voltageMinVolts: 0, voltageMaxVolts: 5, auxTemperature: true))
        }
        kinds.append(ChannelAbilities(make: "simulated", currentMinAmperes: -0.01, currentMaxAmperes: 0.01, voltageMinVolts: -5, voltageMaxVolts: 5, simulated: true))
        return kinds
    }()

    static let protocols: [TestProtocol] = [
        .simulated(preset: "1"), .simulated(preset: "4"),
        .vendor(schedule: "sym-0.1mA", requirements: ChannelRequirements(currentMinAmperes: -0.001, currentMaxAmperes: 0.001, voltageMinVolts: -1)),
        .vendor(schedule: "full-C/2", requirements: ChannelRequirements(currentMaxAmperes: 0.04, voltageMaxVolts: 4.3)),
        .vendor(schedule: "full-1C-temp", requirements: ChannelRequirements(currentMaxAmperes: 0.5, voltageMaxVolts: 4.3, auxTemperature: true)),
        .vendor(schedule: "arbin-pulse", requirements: ChannelRequirements(make: "Arbin", currentMaxAmperes: 4)),
        .vendor(schedule: "maccor-18650", requirements: ChannelRequirements(make: "Maccor", currentMaxAmperes: 6)),
    ]

    public func run() -> Result {
        var scheduler = FleetScheduler(reservationTimeoutSeconds: 3600)
        let addresses = (0..<channelCount).map { ChannelAddress(agentID: "agent\($0 / 64)", channelID: "ch\($0 % 64)") }
        // A busy fleet: each channel announced with a request of its own running on it.
        var events: [FleetScheduler.Event] = []
        for (k, address) in addresses.enumerated() {
            let kind = Self.kinds[k % Self.kinds.count]
            events.append(.channelAnnounced(address, kind))
            let fitting = Self.protocols.first { $0.canRun(on: kind) } ?? .simulated(preset: "1")
            events.append(.queued(CellRequest(id: "busy\(k)", cellID: "busy\(k)", study: "running", group: "g", protocolToRun: fitting, priority: 9, submitted: UInt64(k))))
        }
        _ = scheduler.handle(events, now: 0)
        for (k, address) in addresses.enumerated() { _ = scheduler.handle(.testStarted(address, testID: "t\(k)"), now: 0) }
        // The queue: many studies' cells, three priorities.
        var requests: [FleetScheduler.Event] = []
        var generator = SplitMix(seed: 7)
        for k in 0..<requestCount {
            let protocolToRun = Self.protocols[Int(generator.next() % UInt64(Self.protocols.count))]
            requests.append(.queued(CellRequest(id: "r\(k)", cellID: "cell\(k)", study: "study\(k % 50)", group: "g\(k % 4)",
                                                protocolToRun: protocolToRun, priority: Int(generator.next() % 3), submitted: UInt64(channelCount + k))))
        }
        let queueingStart = ContinuousClock.now
        _ = scheduler.handle(requests, now: 1)
        let queueingMs = Self.milliseconds(since: queueingStart)
        // Every test ends at once: one pass fills the fleet.
        let endings = addresses.enumerated().map { FleetScheduler.Event.testEnded($0.element, testID: "t\($0.offset)") }
        var ended = scheduler
        let start = ContinuousClock.now
        let decisions = ended.handle(endings, now: 2)
        let rescheduleMs = Self.milliseconds(since: start)
        let assigned = decisions.reduce(0) { if case .assign = $1 { return $0 + 1 } else { return $0 } }
        let waiting: [FleetScheduler.Event] = scheduler.queue.map { .queued($0) }
        let slots = scheduler.channels.sorted { $0.value.order < $1.value.order }
        let rebuildStart = ContinuousClock.now
        var rebuilt = FleetScheduler(reservationTimeoutSeconds: 3600)
        for (address, slot) in slots {
            rebuilt.restore(address, abilities: slot.abilities, state: slot.state, request: slot.request, testID: slot.testID,
                            reservedUntil: slot.reservedUntil, held: slot.held)
        }
        let rebuiltDecisions = rebuilt.handle(waiting + endings, now: 2)
        let rebuildMs = Self.milliseconds(since: rebuildStart)
        precondition(rebuiltDecisions == decisions, "a rebuilt scheduler decides as the original")
        let queue = scheduler.queue.shuffled(using: &generator)
        let sortStart = ContinuousClock.now
        let sorted = queue.sorted(by: CellRequest.runsBefore)
        let sortMs = Self.milliseconds(since: sortStart)
        precondition(sorted.count == queue.count)
        return Result(channels: channelCount, requests: requestCount, assigned: assigned, rescheduleMs: rescheduleMs, queueingMs: queueingMs, sortReferenceMs: sortMs,
                      roundRebuildMs: rebuildMs)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = start.duration(to: .now)
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}

/// A small deterministic generator, so every run schedules the same fleet.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
