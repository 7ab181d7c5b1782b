/// Which queued cell goes on which free channel, across the fleet: a value fed events (channels
/// announced or gone, cells queued, tests started and ended, holds) that returns decisions
/// (assign, release a reservation, a test finished). No I/O: the coordinator records the
/// decisions in the transaction that read the state, and turns an assignment into a command
/// to a simulated channel or a load request to a person.
///
/// The rules (docs/scheduling.md):
/// - a channel holds at most one cell, a cell is on at most one channel or in the queue once;
/// - a request goes only to a channel that can run its protocol;
/// - higher priority first, then first submitted: requests are taken in that order, each onto
///   the first free channel that can run it, so no free channel that could run a queued request
///   stays free (the matching is maximal);
/// - a reservation nobody confirms within `reservationTimeoutSeconds` is released and its
///   request queued again in its place;
/// - a channel on hold (maintenance) or offline gets nothing; an offline channel keeps the cell
///   it had.
/// Times are wall-clock Unix seconds given by the caller.
public struct FleetScheduler: Sendable, Hashable, Codable {
    public enum ChannelState: String, Sendable, Hashable, Codable, CaseIterable {
        case idle, reserved, running, stopping, offline
    }

    public struct Slot: Sendable, Hashable, Codable {
        public var abilities: ChannelAbilities
        public var state: ChannelState
        /// The request on the channel (reserved, running, stopping; offline with a cell on it).
        public var request: CellRequest?
        public var testID: String?
        public var reservedUntil: Double?
        /// On hold for maintenance: assigned nothing until released.
        public var held = false
        /// When the channel was first announced, among the fleet's: free channels of a kind are
        /// taken in this order (comparing numbers, not names, for a reproducible choice).
        public var order = 0
    }

    public enum Event: Sendable, Hashable {
        case channelAnnounced(ChannelAddress, ChannelAbilities)
        case channelOffline(ChannelAddress)
        case queued(CellRequest)
        case withdrawn(requestID: String)
        /// The test of a reserved channel's request started (a person confirmed the load, or a
        /// simulated channel started it).
        case testStarted(ChannelAddress, testID: String)
        case testEnded(ChannelAddress, testID: String)
        /// The channel is being stopped (a fail alert with on_fail = stop).
        case stopRequested(ChannelAddress)
        case hold(ChannelAddress)
        case releaseHold(ChannelAddress)
        /// Time passed: reservations may have run out.
        case tick
    }

    public enum Decision: Sendable, Hashable {
        case assign(CellRequest, ChannelAddress)
        case reservationReleased(CellRequest, ChannelAddress, reason: String)
        /// The test on a channel ended; the replicate policy decides what it counts as.
        case finished(CellRequest, ChannelAddress, testID: String?)
    }

    public private(set) var channels: [ChannelAddress: Slot] = [:]
    /// Waiting requests by priority, each band in the order it runs (first submitted first): a
    /// new request of a band usually goes at its end, so queueing 100 000 is not 100 000 moves
    /// of one long array.
    private var bands: [Int: [CellRequest]] = [:]
    /// Waiting requests, in the order they run (`CellRequest.runsBefore`).
    public var queue: [CellRequest] { bands.keys.sorted(by: >).flatMap { bands[$0]! } }
    public private(set) var queuedCount = 0
    public var reservationTimeoutSeconds: Double
    /// Every request in the queue or on a channel, by cell id: one place a cell, checked in O(1).
    private var placed: [String: String] = [:]
    /// No reservation runs out before this (a lower bound): most events need not look at every channel.
    private var earliestExpiry = Double.infinity
    private var requestIDs: Set<String> = []

    public init(reservationTimeoutSeconds: Double = 24 * 3600) {
        self.reservationTimeoutSeconds = reservationTimeoutSeconds
    }

    public func state(of channel: ChannelAddress) -> ChannelState? { channels[channel]?.state }

    /// Where a cell is: on a channel, queued, or nowhere.
    public func location(ofCell cellID: String) -> ChannelAddress? {
        channels.first { $0.value.request?.cellID == cellID }?.key
    }

    /// A channel as the database has it: the coordinator rebuilds the scheduler each round from
    /// its rows and then feeds what happened since. A request on the channel is placed there (a
    /// cell already placed elsewhere is not placed twice: the channel is restored without it);
    /// a running channel without a request is busy with a test the scheduler did not start.
    /// Channels restored in a fixed order (the coordinator sorts them) keep decisions reproducible.
    public mutating func restore(
        _ address: ChannelAddress, abilities: ChannelAbilities, state: ChannelState, request: CellRequest? = nil,
        testID: String? = nil, reservedUntil: Double? = nil, held: Bool = false
    ) {
        var slot = Slot(abilities: abilities, state: state, held: held, order: channels[address]?.order ?? channels.count)
        if let old = channels[address]?.request { forget(old) }
        if let request, placed[request.cellID] == nil, !requestIDs.contains(request.id), state != .idle {
            placed[request.cellID] = request.id
            requestIDs.insert(request.id)
            slot.request = request
            slot.testID = testID
            if state == .reserved {
                let until = reservedUntil ?? .infinity
                slot.reservedUntil = until
                earliestExpiry = min(earliestExpiry, until)
            }
        } else if state == .reserved || (state == .offline && request != nil) {
            slot.state = state == .offline ? .offline : .idle
        }
        channels[address] = slot
    }

    public mutating func handle(_ event: Event, now: Double) -> [Decision] {
        var decisions = apply(event, now: now)
        decisions += releaseExpiredReservations(now: now)
        decisions += schedule(now: now)
        return decisions
    }

    /// Several events, then one scheduling pass: what a coordinator does each scheduling interval
    /// with what happened since the last.
    public mutating func handle(_ events: [Event], now: Double) -> [Decision] {
        var decisions: [Decision] = []
        for event in events { decisions += apply(event, now: now) }
        decisions += releaseExpiredReservations(now: now)
        decisions += schedule(now: now)
        return decisions
    }

    private mutating func apply(_ event: Event, now: Double) -> [Decision] {
        var decisions: [Decision] = []
        switch event {
        case .channelAnnounced(let address, let abilities):
            if var slot = channels[address] {
                slot.abilities = abilities
                if slot.state == .offline { slot.state = slot.request == nil ? .idle : (slot.testID == nil ? .reserved : .running) }
                if slot.state == .reserved, slot.reservedUntil == nil {
                    slot.reservedUntil = now + reservationTimeoutSeconds
                    earliestExpiry = min(earliestExpiry, now + reservationTimeoutSeconds)
                }
                channels[address] = slot
            } else {
                channels[address] = Slot(abilities: abilities, state: .idle, order: channels.count)
            }
        case .channelOffline(let address):
            guard var slot = channels[address] else { break }
            if slot.state == .reserved, let request = slot.request {
                slot.request = nil
                slot.reservedUntil = nil
                enqueue(request)
                decisions.append(.reservationReleased(request, address, reason: "the channel went offline"))
            }
            slot.state = .offline
            channels[address] = slot
        case .queued(let request):
            guard placed[request.cellID] == nil, !requestIDs.contains(request.id) else { break }
            placed[request.cellID] = request.id
            requestIDs.insert(request.id)
            enqueue(request)
        case .withdrawn(let requestID):
            guard requestIDs.contains(requestID) else { break }
            for priority in bands.keys {
                if let index = bands[priority]!.firstIndex(where: { $0.id == requestID }) {
                    forget(bands[priority]!.remove(at: index))
                    queuedCount -= 1
                    break
                }
            }
            for (address, slot) in channels where slot.state == .reserved && slot.request?.id == requestID {
                decisions.append(.reservationReleased(slot.request!, address, reason: "withdrawn"))
                forget(slot.request!)
                channels[address] = Slot(abilities: slot.abilities, state: .idle, held: slot.held, order: slot.order)
            }
        case .testStarted(let address, let testID):
            guard var slot = channels[address], slot.state == .reserved else { break }
            slot.state = .running
            slot.testID = testID
            slot.reservedUntil = nil
            channels[address] = slot
        case .testEnded(let address, let testID):
            guard let slot = channels[address], let request = slot.request else { break }
            // A reserved channel's test may end before its start was seen (a short simulation).
            guard slot.testID == nil || slot.testID == testID else { break }
            decisions.append(.finished(request, address, testID: testID))
            forget(request)
            channels[address] = Slot(abilities: slot.abilities, state: slot.state == .offline ? .offline : .idle, held: slot.held, order: slot.order)
        case .stopRequested(let address):
            guard var slot = channels[address], slot.state == .running else { break }
            slot.state = .stopping
            channels[address] = slot
        case .hold(let address):
            channels[address]?.held = true
        case .releaseHold(let address):
            channels[address]?.held = false
        case .tick:
            break
        }
        return decisions
    }

    private mutating func forget(_ request: CellRequest) {
        placed[request.cellID] = nil
        requestIDs.remove(request.id)
    }

    private mutating func enqueue(_ request: CellRequest) {
        queuedCount += 1
        var band = bands.removeValue(forKey: request.priority) ?? []
        if let last = band.last, !CellRequest.runsBefore(last, request) {
            var low = 0, high = band.count
            while low < high {
                let mid = (low + high) / 2
                if CellRequest.runsBefore(band[mid], request) { low = mid + 1 } else { high = mid }
            }
            band.insert(request, at: low)
        } else {
            band.append(request)
        }
        bands[request.priority] = band
    }

    private mutating func releaseExpiredReservations(now: Double) -> [Decision] {
        var decisions: [Decision] = []
        guard now >= earliestExpiry else { return [] }
        var expired: [ChannelAddress] = []
        earliestExpiry = .infinity
        for (address, slot) in channels where slot.state == .reserved {
            guard let until = slot.reservedUntil else { continue }
            if until <= now { expired.append(address) } else { earliestExpiry = min(earliestExpiry, until) }
        }
        for address in expired.sorted() {
            let slot = channels[address]!
            guard let request = slot.request else { continue }
            channels[address] = Slot(abilities: slot.abilities, state: .idle, held: slot.held, order: slot.order)
            enqueue(request)
            // A restored reservation carries its own expiry; this scheduler's timeout may be infinite.
            let within = reservationTimeoutSeconds.isFinite ? " within \(Int(reservationTimeoutSeconds)) s" : " in time"
            decisions.append(.reservationReleased(request, address, reason: "not confirmed\(within)"))
        }
        return decisions
    }

    /// Takes the queue in order, each request onto the first free channel able to run it.
    /// Free channels are grouped by what they can do (a fleet has few kinds of channel), so a
    /// request is matched against kinds, not channels: 100 000 requests over 10 000 channels is
    /// requests × kinds, and it stops as soon as no channel is free.
    private mutating func schedule(now: Double) -> [Decision] {
        var free: [ChannelAbilities: [(order: Int, address: ChannelAddress)]] = [:]
        for (address, slot) in channels where slot.state == .idle && !slot.held {
            free[slot.abilities, default: []].append((slot.order, address))
        }
        guard !free.isEmpty, queuedCount > 0 else { return [] }
        // Each kind's channels in a fixed order, taken from the front; kinds in a fixed order too.
        let kinds = free.keys.sorted { Self.kindOrder($0, $1) }
        // Popped from the end: the first announced first.
        var channelsOfKind = kinds.map { free[$0]!.sorted { $0.order > $1.order }.map(\.address) }
        var kindsFor: [TestProtocol: [Int]] = [:]
        var freeCount = channelsOfKind.reduce(0) { $0 + $1.count }
        var decisions: [Decision] = []
        // What each band gave, by position (ascending): removed afterwards without hashing ids.
        var taken: [(priority: Int, positions: [Int])] = []
        bandLoop: for priority in bands.keys.sorted(by: >) {
          for (position, request) in bands[priority]!.enumerated() {
            if freeCount == 0 { break bandLoop }
            let fitting: [Int]
            if let known = kindsFor[request.protocolToRun] {
                fitting = known
            } else {
                fitting = kinds.indices.filter { request.protocolToRun.canRun(on: kinds[$0]) }
                kindsFor[request.protocolToRun] = fitting
            }
            guard let kind = fitting.first(where: { !channelsOfKind[$0].isEmpty }) else { continue }
            let address = channelsOfKind[kind].removeLast()
            freeCount -= 1
            var slot = channels[address]!
            slot.state = .reserved
            slot.request = request
            slot.reservedUntil = now + reservationTimeoutSeconds
            earliestExpiry = min(earliestExpiry, now + reservationTimeoutSeconds)
            channels[address] = slot
            if taken.last?.priority != priority { taken.append((priority, [])) }
            taken[taken.count - 1].positions.append(position)
            decisions.append(.assign(request, address))
          }
        }
        for (priority, positions) in taken {
            let band = bands[priority]!
            var kept: [CellRequest] = []
            kept.reserveCapacity(band.count - positions.count)
            var next = 0
            for (position, request) in band.enumerated() {
                if next < positions.count, positions[next] == position { next += 1 } else { kept.append(request) }
            }
            bands[priority] = kept.isEmpty ? nil : kept
            queuedCount -= positions.count
        }
        return decisions
    }

    /// Smaller channels first, so that a request that fits a small channel leaves the large ones
    /// to requests that need them; then by name, for reproducible decisions.
    static func kindOrder(_ a: ChannelAbilities, _ b: ChannelAbilities) -> Bool {
        let spanA = a.currentMaxAmperes - a.currentMinAmperes, spanB = b.currentMaxAmperes - b.currentMinAmperes
        if spanA != spanB { return spanA < spanB }
        if a.auxTemperature != b.auxTemperature { return !a.auxTemperature }
        return (a.make, a.model, a.voltageMaxVolts, a.voltageMinVolts, a.simulated ? 1 : 0)
            < (b.make, b.model, b.voltageMaxVolts, b.voltageMinVolts, b.simulated ? 1 : 0)
    }
}
