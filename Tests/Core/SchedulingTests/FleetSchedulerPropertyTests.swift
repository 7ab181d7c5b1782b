import PropertyBased
import Scheduling
import Testing

/// Random fleets and event sequences: after every event the scheduler's state keeps its promises
/// (docs/scheduling.md §2) — one cell a channel, one place a cell, requirements met, no free
/// channel idle beside a request it could run, higher priority first then FIFO.
private let kinds: [ChannelAbilities] = [
    ChannelAbilities(make: "simulated", currentMinAmperes: -0.01, currentMaxAmperes: 0.01, voltageMinVolts: -5, voltageMaxVolts: 5, simulated: true),
    ChannelAbilities(make: "LAND", model: "CT3002A", currentMinAmperes: -0.005, currentMaxAmperes: 0.005, voltageMinVolts: -5, voltageMaxVolts: 5),
    ChannelAbilities(make: "Arbin", model: "LBT", currentMinAmperes: -5, currentMaxAmperes: 5, voltageMinVolts: 0, voltageMaxVolts: 5, auxTemperature: true),
    ChannelAbilities(make: "Neware", model: "CT-4008", currentMinAmperes: -0.1, currentMaxAmperes: 0.1, voltageMinVolts: 0, voltageMaxVolts: 5),
]
private let protocols: [TestProtocol] = [
    .simulated(preset: "1"), .simulated(preset: "4"),
    .vendor(schedule: "sym-0.1mA", requirements: ChannelRequirements(currentMinAmperes: -0.001, currentMaxAmperes: 0.001, voltageMinVolts: -1)),
    .vendor(schedule: "full-1C", requirements: ChannelRequirements(currentMaxAmperes: 0.05, voltageMaxVolts: 4.3)),
    .vendor(schedule: "arbin-fast", requirements: ChannelRequirements(make: "Arbin", currentMaxAmperes: 2, auxTemperature: true)),
    .vendor(schedule: "impossible", requirements: ChannelRequirements(currentMaxAmperes: 100)),
]

private struct Run {
    var scheduler = FleetScheduler(reservationTimeoutSeconds: 50)
    var now = 0.0
    var nextRequest = 0
    var nextTest = 0
    var problems: [String] = []

    mutating func apply(_ event: FleetScheduler.Event) {
        let before = Set(scheduler.queue.map(\.id))
        let decisions = scheduler.handle(event, now: now)
        check(after: event, decisions: decisions, queuedBefore: before)
    }

    mutating func check(after event: FleetScheduler.Event, decisions: [FleetScheduler.Decision], queuedBefore: Set<String>) {
        func fail(_ text: String) { problems.append("after \(event): \(text)") }
        var requestIDs = Set<String>(), cellIDs = Set<String>()
        for request in scheduler.queue {
            if !requestIDs.insert(request.id).inserted { fail("request \(request.id) queued twice") }
            if !cellIDs.insert(request.cellID).inserted { fail("cell \(request.cellID) twice") }
        }
        for (address, slot) in scheduler.channels {
            if let request = slot.request {
                if !requestIDs.insert(request.id).inserted { fail("request \(request.id) on \(address) and elsewhere") }
                if !cellIDs.insert(request.cellID).inserted { fail("cell \(request.cellID) on \(address) and elsewhere") }
                if !request.protocolToRun.canRun(on: slot.abilities) { fail("\(request.id) on \(address), which cannot run it") }
                if slot.state == .idle { fail("idle \(address) holds \(request.id)") }
            } else if slot.state != .idle && slot.state != .offline {
                fail("\(address) is \(slot.state) without a cell")
            }
        }
        for (address, slot) in scheduler.channels where slot.state == .idle && !slot.held {
            if let waiting = scheduler.queue.first(where: { $0.protocolToRun.canRun(on: slot.abilities) }) {
                fail("\(address) idle while \(waiting.id) could run on it")
            }
        }
        for case .assign(let request, let address) in decisions {
            let abilities = scheduler.channels[address]!.abilities
            if let earlier = scheduler.queue.first(where: { $0.protocolToRun.canRun(on: abilities) && CellRequest.runsBefore($0, request) }) {
                fail("\(request.id) got \(address) before \(earlier.id), which runs first")
            }
        }
        for (a, b) in zip(scheduler.queue, scheduler.queue.dropFirst()) where !CellRequest.runsBefore(a, b) {
            fail("queue out of order: \(a.id) before \(b.id)")
        }
    }
}

@Test func theSchedulerKeepsItsPromisesOverRandomFleetsAndEvents() async {
    await propertyCheck(count: 400, input: Gen.int(in: 1...24), Gen.int(in: 0...Int(Int32.max)).array(of: 1...160)) { channelCount, operations in
        var run = Run()
        for k in 0..<channelCount {
            run.apply(.channelAnnounced(ChannelAddress(agentID: "agent\(k % 3)", channelID: "ch\(k)"), kinds[(k * 7 + channelCount) % kinds.count]))
        }
        let addresses = run.scheduler.channels.keys.sorted()
        for operation in operations {
            let pick = operation / 16
            let address = addresses[pick % addresses.count]
            switch operation % 16 {
            case 0...4:
                run.nextRequest += 1
                let protocolToRun = protocols[pick % protocols.count]
                // Cell ids repeat now and then: the scheduler must not put one cell in two places.
                let cell = pick % 5 == 0 ? "c\(pick % 7)" : "cell\(run.nextRequest)"
                run.apply(.queued(CellRequest(id: "r\(run.nextRequest)", cellID: cell, study: "s", group: "g", protocolToRun: protocolToRun,
                                              priority: pick % 3, submitted: UInt64(run.nextRequest))))
            case 5, 6:
                run.nextTest += 1
                run.apply(.testStarted(address, testID: "t\(run.nextTest)"))
            case 7, 8:
                let test = run.scheduler.channels[address]?.testID ?? "t-unknown"
                run.apply(.testEnded(address, testID: test))
            case 9: run.apply(.channelOffline(address))
            case 10: run.apply(.channelAnnounced(address, run.scheduler.channels[address]!.abilities))
            case 11: run.apply(.hold(address))
            case 12: run.apply(.releaseHold(address))
            case 13: run.apply(.stopRequested(address))
            case 14: run.apply(.withdrawn(requestID: "r\(1 + pick % max(1, run.nextRequest))"))
            default:
                run.now += Double(pick % 40)
                run.apply(.tick)
            }
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(3))")
    }
}

@Test func requestsGoByPriorityThenFIFOAndOnlyWhereTheyFit() {
    var scheduler = FleetScheduler(reservationTimeoutSeconds: 60)
    let sim = ChannelAddress(agentID: "sim", channelID: "1"), land = ChannelAddress(agentID: "land", channelID: "1-1")
    _ = scheduler.handle(.channelAnnounced(land, kinds[1]), now: 0)
    func request(_ id: String, _ priority: Int, _ submitted: UInt64, _ protocolToRun: TestProtocol = .simulated(preset: "1")) -> CellRequest {
        CellRequest(id: id, cellID: id, study: "s", group: "g", protocolToRun: protocolToRun, priority: priority, submitted: submitted)
    }
    #expect(scheduler.handle(.queued(request("a", 0, 1)), now: 0).isEmpty, "no simulated channel yet; the LAND channel cannot run sim:1")
    #expect(scheduler.handle(.queued(request("b", 5, 2)), now: 0).isEmpty)
    #expect(scheduler.handle(.queued(request("c", 5, 3)), now: 0).isEmpty)
    #expect(scheduler.queue.map(\.id) == ["b", "c", "a"])
    #expect(scheduler.handle(.channelAnnounced(sim, kinds[0]), now: 1) == [.assign(request("b", 5, 2), sim)])
    #expect(scheduler.state(of: sim) == .reserved && scheduler.location(ofCell: "b") == sim)
    // Not confirmed in time: released and queued again in its place, then given the channel again.
    let after = scheduler.handle(.tick, now: 61)
    #expect(after == [.reservationReleased(request("b", 5, 2), sim, reason: "not confirmed within 60 s"), .assign(request("b", 5, 2), sim)])
    _ = scheduler.handle(.testStarted(sim, testID: "t1"), now: 62)
    #expect(scheduler.state(of: sim) == .running)
    #expect(scheduler.handle(.testEnded(sim, testID: "t1"), now: 70) == [.finished(request("b", 5, 2), sim, testID: "t1"), .assign(request("c", 5, 3), sim)])
    // A vendor schedule that fits the LAND channel goes there at once.
    let sym = TestProtocol.vendor(schedule: "sym", requirements: ChannelRequirements(currentMaxAmperes: 0.001))
    #expect(scheduler.handle(.queued(request("d", 0, 4, sym)), now: 71) == [.assign(request("d", 0, 4, sym), land)])
    // On hold, a channel gets nothing; offline, a reserved one gives its request back.
    _ = scheduler.handle(.hold(sim), now: 72)
    _ = scheduler.handle(.testStarted(sim, testID: "t2"), now: 72)
    #expect(scheduler.handle(.testEnded(sim, testID: "t2"), now: 80) == [.finished(request("c", 5, 3), sim, testID: "t2")])
    #expect(scheduler.state(of: sim) == .idle && scheduler.queue.map(\.id) == ["a"])
    #expect(scheduler.handle(.channelOffline(land), now: 81) == [.reservationReleased(request("d", 0, 4, sym), land, reason: "the channel went offline")])
    #expect(scheduler.handle(.releaseHold(sim), now: 82) == [.assign(request("a", 0, 1), sim)])
}

/// The coordinator rebuilds the scheduler from the database every round (`restore` each
/// channel, queue each waiting request): a scheduler rebuilt from another's state at any moment
/// must decide exactly as the original would have from there on.
@Test func aSchedulerRebuiltFromItsStateDecidesAsTheOriginal() async {
    await propertyCheck(count: 300, input: Gen.int(in: 1...16), Gen.int(in: 0...Int(Int32.max)).array(of: 1...120)) { channelCount, operations in
        var original = FleetScheduler(reservationTimeoutSeconds: 50)
        var now = 0.0, nextRequest = 0, nextTest = 0
        var mismatches: [String] = []
        for k in 0..<channelCount {
            _ = original.handle(.channelAnnounced(ChannelAddress(agentID: "agent\(k % 3)", channelID: "ch\(k)"), kinds[(k * 5 + channelCount) % kinds.count]), now: now)
        }
        let addresses = original.channels.keys.sorted()
        for operation in operations {
            let pick = operation / 16, address = addresses[pick % addresses.count]
            let event: FleetScheduler.Event
            switch operation % 10 {
            case 0...3:
                nextRequest += 1
                event = .queued(CellRequest(id: "r\(nextRequest)", cellID: "cell\(nextRequest)", study: "s", group: "g",
                                            protocolToRun: protocols[pick % protocols.count], priority: pick % 3, submitted: UInt64(nextRequest)))
            case 4, 5:
                nextTest += 1
                event = .testStarted(address, testID: "t\(nextTest)")
            case 6: event = .testEnded(address, testID: original.channels[address]?.testID ?? "t-unknown")
            case 7: event = .hold(address)
            case 8: event = .releaseHold(address)
            default:
                now += Double(pick % 40)
                event = .tick
            }
            var rebuilt = FleetScheduler(reservationTimeoutSeconds: 50)
            for (address, slot) in original.channels.sorted(by: { $0.value.order < $1.value.order }) {
                rebuilt.restore(address, abilities: slot.abilities, state: slot.state, request: slot.request, testID: slot.testID,
                                reservedUntil: slot.reservedUntil, held: slot.held)
            }
            // As a round does: the waiting requests and what happened, in one pass.
            let waiting: [FleetScheduler.Event] = original.queue.map { .queued($0) }
            let expected = original.handle(event, now: now), got = rebuilt.handle(waiting + [event], now: now)
            if expected != got { mismatches.append("after \(event): original \(expected), rebuilt \(got)") }
            if original.queue != rebuilt.queue { mismatches.append("after \(event): queues differ") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(2))")
    }
}
