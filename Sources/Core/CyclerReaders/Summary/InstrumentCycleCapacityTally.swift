/// Per-cycle charge and discharge capacity from the instrument's own counters, following the
/// counter's scope (`CapacityCounterRule`) and the instrument's own state labels for direction,
/// so that the figures agree with what the vendor software reports: `cellfleet inspect` prints
/// them, after checking them against the instrument's cycle summary where the file has one.
///
/// The detector's cycle summaries (`CycleSummary` in CellDetection) are per the same cycles
/// (the instrument's cycle index) but deliberately not these figures: the detector runs on live
/// streams, whose capacity column is one number of vendor-specific scope or absent, so it counts
/// coulombs in the logged samples (trapezoid rule within a step) and uses the counter only to
/// cross-check (rule Q1). The two therefore differ, by design, where the instrument counted what
/// the records do not show: the interval before a step's first record (an export that logs its
/// counter at the end of each interval), charge counted before an export's first record (a file
/// that starts mid-step), and currents below the detector's rest threshold. On well-logged files
/// they agree within 1 %; `CycleCapacityAgreementTests` (CellDetectionTests) pins both.
public struct InstrumentCycleCapacityTally: Sendable {
    public let rule: CapacityCounterRule
    /// Ah per instrument cycle: (charge, discharge).
    public private(set) var perCycle: [Int: (charge: Double, discharge: Double)] = [:]
    /// Counter resets seen where the counter's scope says none should be.
    public private(set) var unexpectedResets = 0

    // Segment being accumulated (per-step and per-direction-run rules).
    private var segmentKey: SegmentKey?
    private var segmentDirection: CurrentDirection = .unknown
    private var lastCounter: Double?
    private var lastCharge: Double?
    private var lastDischarge: Double?
    private var lastSigned: Double?
    private var segmentCycle: Int?
    private var segmentSigned = false
    private var currentCycle: Int?

    struct SegmentKey: Hashable {
        var cycle: Int?
        var step: Int?
        var direction: CurrentDirection
    }

    public init(rule: CapacityCounterRule) { self.rule = rule }

    private mutating func add(cycle: Int?, charge: Double, discharge: Double) {
        guard let cycle else { return }
        var entry = perCycle[cycle] ?? (0, 0)
        entry.charge += charge
        entry.discharge += discharge
        perCycle[cycle] = entry
    }

    private static func isReset(_ new: Double, after old: Double) -> Bool {
        new < old * 0.5 && old - new > 1e-12
    }

    public mutating func add(_ record: CyclerRecord) {
        let cycle = record.instrumentCycle
        if let cycle, perCycle[cycle] == nil { perCycle[cycle] = (0, 0) }
        var rule = self.rule
        // A cycle-scoped profile whose file lacks the cycle counters but has a step counter.
        if rule == .cumulativeInCycle, record.chargeCounterAmpHours == nil, record.dischargeCounterAmpHours == nil, record.capacityCounterAmpHours != nil {
            rule = .perStep
        }
        switch rule {
        case .cumulativeInCycle:
            if cycle != currentCycle {
                currentCycle = cycle
                lastCharge = record.chargeCounterAmpHours
                lastDischarge = record.dischargeCounterAmpHours
                return
            }
            if let c = record.chargeCounterAmpHours {
                if let l = lastCharge { add(cycle: cycle, charge: c >= l ? c - l : c, discharge: 0); if c < l { unexpectedResets += 1 } }
                lastCharge = c
            }
            if let d = record.dischargeCounterAmpHours {
                if let l = lastDischarge { add(cycle: cycle, charge: 0, discharge: d >= l ? d - l : d); if d < l { unexpectedResets += 1 } }
                lastDischarge = d
            }
        case .perStep, .perDirectionRun:
            if rule == .perDirectionRun, record.direction != .charge, record.direction != .discharge, !record.capacityCounterIsSigned {
                return
            }
            let step = record.halfCycle ?? record.stepNumber
            let key = SegmentKey(cycle: cycle, step: rule == .perStep ? step : nil, direction: record.capacityCounterIsSigned ? .unknown : record.direction)
            if key != segmentKey {
                closeSegment()
                segmentKey = key
                segmentCycle = cycle
                segmentDirection = record.direction
            } else if resetInside(record) {
                closeSegment()
                segmentKey = key
                segmentCycle = cycle
            }
            segmentSigned = record.capacityCounterIsSigned
            lastCounter = record.capacityCounterAmpHours
            lastCharge = record.chargeCounterAmpHours
            lastDischarge = record.dischargeCounterAmpHours
            segmentDirection = record.direction
        }
    }

    private func resetInside(_ record: CyclerRecord) -> Bool {
        if let c = record.capacityCounterAmpHours, let l = lastCounter, Self.isReset(abs(c), after: abs(l)) { return true }
        if let c = record.chargeCounterAmpHours, let l = lastCharge, Self.isReset(c, after: l) { return true }
        if let c = record.dischargeCounterAmpHours, let l = lastDischarge, Self.isReset(c, after: l) { return true }
        return false
    }

    private mutating func closeSegment() {
        guard segmentKey != nil else { return }
        var charge = 0.0
        var discharge = 0.0
        if let c = lastCharge ?? nil, segmentDirection != .discharge { charge += c }
        if let d = lastDischarge ?? nil, segmentDirection != .charge { discharge += d }
        if lastCharge == nil, lastDischarge == nil, let q = lastCounter {
            if segmentSigned {
                // Signed counter (EC-Lab): its sign is the direction.
                if q > 0 { charge += q } else { discharge += -q }
            } else if segmentKey?.direction == .charge {
                charge += q
            } else if segmentKey?.direction == .discharge {
                discharge += q
            }
        }
        add(cycle: segmentCycle, charge: charge, discharge: discharge)
        segmentKey = nil
        lastCounter = nil
        lastCharge = nil
        lastDischarge = nil
    }

    /// Closes the open step; call once after the last record.
    public mutating func finish() {
        closeSegment()
    }
}
