import CellModel
import Foundation

/// One channel's streaming detector: step and cycle segmentation, per-step and per-cycle
/// summaries, and every rule of docs/detectors.md, as a value-type state machine with O(1) memory.
///
/// Feed samples in test-time order, one at a time or in columnar batches, then call `finish()`.
/// The state is `Codable`, so a coordinator that restarts keeps the cell's baselines: encode it
/// with `encodedState()` and resume with `init(restoringState:)`.
///
/// Deglitching (docs/detectors.md §2.2) uses a *centred* median of three: sample k is judged when
/// sample k+1 arrives, with V replaced by median(V[k−1], V[k], V[k+1]), and alerts carry sample
/// k's test time. So a detector lags its input by one sample, and `finish()` flushes that sample.
///
/// Episodes (each rule fires once per episode, never on every sample of one event):
/// * fail rules (P2, P3, P4, H1, H2, S5, S6's CE < 0.90 clause, E1) latch: once per test, as
///   terminal verdicts (docs/detectors.md §2.4); the other rules keep running after them;
/// * P1, S2, S3 re-arm after as many consecutive clear half-cycles as it took to fire;
/// * S1 re-arms when its 10-half-cycle window holds no event; S4 after a charge step with fewer
///   than 3 negative steps; S7 after a post-charge rest that does not alarm; E2 after a cycle
///   whose slope is back above the limit; S6's rolling-mean warn when the mean is back within
///   half the drop; R1 after 3 transitions below the ratio;
/// * Q1 notes: one episode per kind (`DataQualityKind`) at a time, counting its occurrences and
///   ending after a quiet day of test time; within it, frozen voltage, out-of-range voltage and
///   the thermal notes re-arm when the condition clears (frozen: after as many live samples as
///   it took). With `collectsEpisodes`, the openings and ends of episodes are kept for
///   `drainEpisodes()` (`AlertEpisode`).
///
/// Cell types (docs/detectors.md §5.9): a symmetric cell's rules are §4; a full cell's and a
/// cathode half cell's §5, against the cell's `OperatingWindow`; an anode half cell's are §5 with
/// its cycle turned round (it stores charge by discharging: lithiation), so CE is delithiation
/// over lithiation and capacity is its delithiation capacity.
public struct CellDetector: Codable, Sendable {
    public let cell: CellMetadata
    public var thresholds: DetectorThresholds
    public let voltageClampVolts: Double?
    /// An anode half cell (working electrode against lithium, cycled at a few mV to 1.5–3 V)
    /// stores charge in its working electrode by discharging. Stored, not derived from `cell`:
    /// the per-sample rules read it, and a computed property there copied the whole detector.
    let isAnodeHalfCell: Bool

    /// When true, closed step and cycle summaries are kept until `drainSummaries()`; off by
    /// default so that a long-running channel's memory stays constant.
    public var collectsSummaries = false
    var collectedSteps: [StepSummary] = []
    var collectedCycles: [CycleSummary] = []
    /// When true, episode openings and ends are kept until `drainEpisodes()`.
    public var collectsEpisodes = false
    var collectedEpisodes: [AlertEpisode] = []
    /// The start of each warn rule's open episode, by rule bit (NaN: none open).
    var warnEpisodeStarts = [Double](repeating: .nan, count: DetectionRule.allCases.count)

    // deglitch lookahead
    var pending: RawPoint?
    var voltageBeforePending = Double.nan
    var lastAcceptedTime = -Double.infinity

    // segmentation
    /// The open step; meaningful only while `hasOpenStep` (kept non-optional so the per-sample
    /// path mutates it in place instead of copying it out of an optional).
    var step = StepAccumulator.placeholder
    var hasOpenStep = false
    var stepCount = 0
    var previousTime = Double.nan
    var lastActiveKind: StepKind?
    var lastActiveLevel = 0.0
    var cycleStartKind: StepKind?
    var sawOtherDirectionInCycle = false
    var derivedCycle = 1
    var cycle = 1
    var cycleSummary: CycleSummary?
    var buckets: [CurrentBucket] = []
    var bucketClock = 0

    // rules
    public internal(set) var window: OperatingWindow
    var latched: UInt32 = 0
    var symmetric = SymmetricRuleState()
    var fullCell = FullCellRuleState()
    var quality = DataQualityState()
    var resistance = ResistanceRuleState()
    var margins = RuleMargins()

    public init(cell: CellMetadata, thresholds: DetectorThresholds = .defaults, voltageClampVolts: Double? = nil) {
        var cell = cell
        if cell.cellType == .half, cell.workingElectrode == nil, let maximum = cell.voltageMaxVolts {
            cell.workingElectrode = maximum <= CellTypeInference.anodeHalfCellMaximumVolts ? .anode : .cathode
        }
        self.cell = cell
        isAnodeHalfCell = cell.cellType == .half && cell.workingElectrode == .anode
        window = OperatingWindow(minimumVolts: cell.voltageMinVolts, maximumVolts: cell.voltageMaxVolts)
        self.thresholds = thresholds
        self.voltageClampVolts = voltageClampVolts
        symmetric.dropWindow = RecentValues(capacity: max(1, thresholds.s1WindowHalfCycles - 1))
        fullCell.coulombicEfficiencyWindow = RecentValues(capacity: max(1, thresholds.s6WarnWindowCycles))
    }

    // MARK: state persistence

    /// JSON of the whole state. NaN and infinities (unknown references) are written as strings,
    /// which plain `JSONEncoder` would refuse.
    public func encodedState() throws -> Data {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    public init(restoringState data: Data) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(CellDetector.self, from: data)
    }

    // MARK: feeding

    public mutating func ingest(_ sample: Sample) -> [Alert] {
        var alerts: [Alert] = []
        ingest(sample, into: &alerts)
        return alerts
    }

    public mutating func ingest(_ sample: Sample, into alerts: inout [Alert]) {
        accept(RawPoint(sample), into: &alerts)
    }

    public mutating func ingest(_ columns: SampleColumns, into alerts: inout [Alert]) {
        let count = columns.count
        guard count > 0 else { return }
        let hasTemperature = columns.temperatureCelsius.count == count
        let hasStep = columns.stepIndex.count == count
        let hasCycle = columns.cycleIndex.count == count
        let hasCapacity = columns.capacityAmpHours.count == count
        columns.testTimeSeconds.withUnsafeBufferPointer { time in
            columns.voltageVolts.withUnsafeBufferPointer { voltage in
                columns.currentAmperes.withUnsafeBufferPointer { current in
                    for index in 0..<count {
                        let point = RawPoint(
                            time: time[index], voltage: voltage[index], current: current[index],
                            temperature: hasTemperature ? columns.temperatureCelsius[index] : .nan,
                            cyclerStep: hasStep ? columns.stepIndex[index] : RawPoint.absent,
                            cyclerCycle: hasCycle ? columns.cycleIndex[index] : RawPoint.absent,
                            cyclerCapacity: hasCapacity ? columns.capacityAmpHours[index] : .nan
                        )
                        accept(point, into: &alerts)
                    }
                }
            }
        }
    }

    public mutating func ingest(_ columns: SampleColumns) -> [Alert] {
        var alerts: [Alert] = []
        ingest(columns, into: &alerts)
        return alerts
    }

    /// Flushes the last sample and closes the open step and cycle (for summaries; rules that
    /// judge a whole step or cycle do not judge the incomplete last one).
    public mutating func finish() -> [Alert] {
        var alerts: [Alert] = []
        finish(into: &alerts)
        return alerts
    }

    public mutating func finish(into alerts: inout [Alert]) {
        if let last = pending {
            process(last, deglitchedVoltage: last.voltage, into: &alerts)
            pending = nil
        }
        for kind in DataQualityKind.allCases { closeNoteEpisode(kind) }
        if hasOpenStep {
            var open = step
            hasOpenStep = false
            if collectsSummaries { collectedSteps.append(open.summary()) }
            addToCycleSummary(&open)
        }
        // The last cycle is judged if it got as far as delivering; a cycle cut short in its
        // charge is not (nor is its partial discharge judged as a whole cycle's).
        if var summary = cycleSummary {
            endCycle(&summary, into: &alerts)
            if collectsSummaries { collectedCycles.append(summary) }
        }
        cycleSummary = nil
    }

    /// Step and cycle summaries closed since the last drain (only when `collectsSummaries`).
    public mutating func drainSummaries() -> (steps: [StepSummary], cycles: [CycleSummary]) {
        defer {
            collectedSteps.removeAll()
            collectedCycles.removeAll()
        }
        return (collectedSteps, collectedCycles)
    }

    /// Episode openings and ends since the last drain (only when `collectsEpisodes`).
    public mutating func drainEpisodes() -> [AlertEpisode] {
        defer { collectedEpisodes.removeAll() }
        return collectedEpisodes
    }

    /// The cycle the detector is in (the cycler's index when recorded, else derived).
    public var currentCycle: Int { cycle }

    // MARK: pipeline

    @inline(__always)
    mutating func accept(_ point: RawPoint, into alerts: inout [Alert]) {
        guard point.time.isFinite, point.voltage.isFinite, point.current.isFinite else {
            noteInvalid(point, into: &alerts)
            return
        }
        // A repeated test time (a cycler logging faster than its clock's resolution, or two
        // records of one instant at a step change) is kept, in record order, as a zero interval:
        // nothing is integrated over it and no sample is lost to detection.
        if point.time < lastAcceptedTime {
            // A restarted channel or a concatenated file: keep detecting rather than drop the
            // rest of the stream; the open step is closed and nothing is integrated across it.
            note(.timeBackwards, at: point.time, evidence: ["backward_seconds": lastAcceptedTime - point.time],
                 message: "test time went backwards: treated as a restart", into: &alerts)
        }
        lastAcceptedTime = point.time
        if let previous = pending {
            let before = voltageBeforePending.isNaN ? previous.voltage : voltageBeforePending
            let deglitched = MedianOfFew.median3(before, previous.voltage, point.voltage)
            voltageBeforePending = previous.voltage
            pending = point
            process(previous, deglitchedVoltage: deglitched, into: &alerts)
        } else {
            pending = point
        }
    }

    mutating func process(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        let restarted = point.time < previousTime
        let interval = previousTime.isNaN || restarted ? 0 : point.time - previousTime
        let afterGap = interval > thresholds.q1GapSeconds
        if afterGap {
            note(.loggingGap, at: point.time, evidence: ["gap_seconds": interval],
                 message: "logging gap longer than \(Int(thresholds.q1GapSeconds)) s: not integrated across", into: &alerts)
        }
        let kind = classify(point.current)
        var opensStep = restarted
        if hasOpenStep, !restarted {
            if kind != step.kind {
                opensStep = true
            } else if point.cyclerStep != RawPoint.absent, point.cyclerStep != step.cyclerStep {
                opensStep = true
            } else if kind.isActive {
                let level = abs(point.current)
                if abs(level - step.levelAmperes) > thresholds.stepLevelTolerance * step.levelAmperes {
                    step.outOfLevelCount += 1
                    if step.outOfLevelCount >= 2 {
                        if point.cyclerStep == RawPoint.absent {
                            opensStep = true
                        } else if step.sampleCount == 2 {
                            relevelStep(to: level)
                        }
                    }
                } else if step.outOfLevelCount != 0 {
                    step.outOfLevelCount = 0
                }
            }
        } else if !hasOpenStep {
            opensStep = true
        }
        if opensStep {
            closeStep(next: point, nextKind: kind, deglitchedVoltage: deglitchedVoltage, into: &alerts)
            openStep(point, kind: kind, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        } else {
            accumulate(point, deglitchedVoltage: deglitchedVoltage, interval: afterGap ? 0 : interval, into: &alerts)
        }
        perSampleRules(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        previousTime = point.time
    }

    @inline(__always)
    func classify(_ current: Double) -> StepKind {
        let epsilon = max(thresholds.restCurrentFraction * lastActiveLevel, thresholds.restCurrentFloorAmperes)
        if current > epsilon { return .charge }
        if current < -epsilon { return .discharge }
        return .rest
    }

    // MARK: steps and cycles

    mutating func openStep(_ point: RawPoint, kind: StepKind, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        stepCount += 1
        let level = abs(point.current)
        var bucketIndex = -1
        var skip = thresholds.transientSkipSeconds
        var overpotentialReference = Double.nan
        var noiseReference = Double.nan
        if kind.isActive {
            bucketIndex = bucket(for: level)
            let bucket = buckets[bucketIndex]
            skip = max(skip, thresholds.transientSkipFractionOfStep * bucket.lastActiveSeconds)
            overpotentialReference = bucket.overpotentialReference
            noiseReference = bucket.noiseReference
            advanceCycle(startingWith: kind)
            lastActiveLevel = level
        }
        if point.cyclerCycle != RawPoint.absent { cycle = Int(point.cyclerCycle) } else { cycle = derivedCycle }
        if cycleSummary == nil || cycleSummary!.cycle != cycle {
            if var finished = cycleSummary {
                endCycle(&finished, into: &alerts)
                if collectsSummaries { collectedCycles.append(finished) }
            }
            cycleSummary = CycleSummary(cycle: cycle, startTestTimeSeconds: point.time)
        }
        hasOpenStep = true
        step = StepAccumulator(
            number: stepCount, kind: kind, cycle: cycle, cyclerStep: point.cyclerStep,
            startTime: point.time, levelAmperes: level, bucketIndex: bucketIndex,
            startVoltage: point.voltage, skipSeconds: skip,
            lastTime: point.time, lastCurrent: point.current, lastVoltage: point.voltage,
            lastDeglitchedVoltage: deglitchedVoltage,
            overpotentialReference: overpotentialReference, noiseReference: noiseReference,
            cyclerCapacityStart: point.cyclerCapacity, cyclerCapacityLast: point.cyclerCapacity
        )
        observeTemperature(point.temperature)
        let absVoltage = abs(deglitchedVoltage)
        step.maxAbsVoltage = absVoltage
        step.transientMaxAbsVoltage = abs(point.voltage)
        step.end3 = absVoltage
    }

    /// The cycler's own step began with a sample logged mid-transition (a BioLogic record at the
    /// reversal averages the two currents): its second and third samples agree on another level,
    /// which is the step's, so its bucket and references are that level's.
    mutating func relevelStep(to level: Double) {
        let index = bucket(for: level)
        step.levelAmperes = level
        step.bucketIndex = index
        step.overpotentialReference = buckets[index].overpotentialReference
        step.noiseReference = buckets[index].noiseReference
        step.skipSeconds = max(thresholds.transientSkipSeconds, thresholds.transientSkipFractionOfStep * buckets[index].lastActiveSeconds)
        step.outOfLevelCount = 0
        lastActiveLevel = level
    }

    /// Cycle counting (docs/detectors.md §3.2): a full cell's cycle starts at a charge that follows a
    /// discharge (an anode half cell's at a discharge, its lithiation, that follows a charge); a
    /// symmetric cell's at a half-cycle in the direction of its first half-cycle that follows one
    /// in the other direction.
    mutating func advanceCycle(startingWith kind: StepKind) {
        if cycleStartKind == nil {
            cycleStartKind = cell.cellType == .symmetric ? kind : storingKind
        }
        if kind == cycleStartKind {
            if sawOtherDirectionInCycle {
                derivedCycle += 1
                sawOtherDirectionInCycle = false
            }
        } else {
            sawOtherDirectionInCycle = true
        }
    }

    mutating func bucket(for level: Double) -> Int {
        bucketClock += 1
        let width = thresholds.bucketRelativeWidth
        if let index = buckets.firstIndex(where: { $0.contains(level, relativeWidth: width) }) {
            buckets[index].lastUsed = bucketClock
            return index
        }
        let fresh = CurrentBucket(levelAmperes: level, lastUsed: bucketClock)
        if buckets.count < 8 {
            buckets.append(fresh)
            return buckets.count - 1
        }
        let oldest = buckets.indices.min { buckets[$0].lastUsed < buckets[$1].lastUsed }!
        buckets[oldest] = fresh
        return oldest
    }

    @inline(__always)
    mutating func accumulate(_ point: RawPoint, deglitchedVoltage: Double, interval: Double, into alerts: inout [Alert]) {
        guard hasOpenStep else { return }
        let absCurrent = abs(point.current)
        if interval > 0 {
            let meanCurrent = 0.5 * (absCurrent + abs(step.lastCurrent))
            step.capacityAmpHours += meanCurrent * interval / 3600
            let meanPower = 0.5 * (abs(point.current * point.voltage) + abs(step.lastCurrent * step.lastVoltage))
            step.energyWattHours += meanPower * interval / 3600
        }
        step.sampleCount += 1
        let absVoltage = abs(deglitchedVoltage)
        if absVoltage > step.maxAbsVoltage { step.maxAbsVoltage = absVoltage }
        step.end1 = step.end2
        step.end2 = step.end3
        step.end3 = absVoltage
        if point.time - step.startTime >= step.skipSeconds {
            if step.plateauCount > 0, interval > 0 {
                step.plateauIntegralVoltSeconds += 0.5 * (absVoltage + step.lastPlateauAbsVoltage) * interval
                step.plateauSeconds += interval
            }
            step.plateauSum += absVoltage
            step.plateauCount += 1
            if !step.secondLastPlateauVoltage.isNaN, interval > 0 {
                step.noiseSum += abs(deglitchedVoltage - 2 * step.lastPlateauVoltage + step.secondLastPlateauVoltage)
                step.noiseCount += 1
            }
            if interval > 0 {
                step.secondLastPlateauVoltage = step.lastPlateauVoltage
            } else {
                step.secondLastPlateauVoltage = .nan
            }
            let previousPlateauAbs = step.lastPlateauAbsVoltage
            step.lastPlateauVoltage = deglitchedVoltage
            step.lastPlateauAbsVoltage = absVoltage
            step.lastPlateauTime = point.time
            plateauRules(point, deglitchedVoltage: deglitchedVoltage, previousAbsVoltage: previousPlateauAbs, into: &alerts)
        } else if abs(point.voltage) > step.transientMaxAbsVoltage {
            // The nucleation spike is often a single sample at 60 s logging: raw, not deglitched.
            step.transientMaxAbsVoltage = abs(point.voltage)
        }
        if !point.temperature.isNaN {
            step.temperatureMin = min(step.temperatureMin, point.temperature)
            step.temperatureMax = max(step.temperatureMax, point.temperature)
            step.temperatureSum += point.temperature
            step.temperatureCount += 1
        }
        if !point.cyclerCapacity.isNaN { step.cyclerCapacityLast = point.cyclerCapacity }
        step.lastTime = point.time
        step.lastCurrent = point.current
        step.lastVoltage = point.voltage
        step.secondPreviousDeglitchedVoltage = step.previousDeglitchedVoltage
        step.previousDeglitchedVoltage = step.lastDeglitchedVoltage
        step.lastDeglitchedVoltage = deglitchedVoltage
    }

    mutating func observeTemperature(_ temperature: Double) {
        guard hasOpenStep, !temperature.isNaN else { return }
        step.temperatureMin = min(step.temperatureMin, temperature)
        step.temperatureMax = max(step.temperatureMax, temperature)
        step.temperatureSum += temperature
        step.temperatureCount += 1
    }

    /// Closes the open step: step-level and cycle-level rules, baselines, summaries.
    mutating func closeStep(next point: RawPoint, nextKind: StepKind, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard hasOpenStep else { return }
        var closing = step
        hasOpenStep = false
        closeQuietNoteEpisodes(now: point.time)
        crossCheckCapacity(closing, into: &alerts)
        if closing.kind.isActive {
            window.observeActiveStepEnd(voltage: closing.lastVoltage)
            lastActiveKind = closing.kind
            if closing.bucketIndex >= 0, closing.bucketIndex < buckets.count {
                buckets[closing.bucketIndex].lastActiveSeconds = closing.lastTime - closing.startTime
            }
        }
        measureResistance(from: closing, to: point, nextKind: nextKind, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        switch cell.cellType {
        case .symmetric:
            if closing.kind.isActive { closeHalfCycle(closing, into: &alerts) }
        case .half, .full:
            closeFullCellStep(closing, nextKind: nextKind, into: &alerts)
        }
        addToCycleSummary(&closing)
        if collectsSummaries { collectedSteps.append(closing.summary()) }
        if cell.cellType != .symmetric, closing.kind == deliveringKind {
            fullCell.lastDelivery = CycleEnd(timeSeconds: closing.lastTime, voltageVolts: closing.lastVoltage,
                                             currentAmperes: closing.lastCurrent, levelAmperes: closing.levelAmperes)
        }
    }

    /// A full or half cell's cycle is judged when it ends — when the next one starts, or at
    /// `finish()` — not when a delivering step closes: a GITT or HPPC sequence delivers in many
    /// pulses with rests between, and judging each pulse would take a fraction of the cycle's
    /// capacity for the whole (docs/detectors.md §3.2). The alerts carry the time of the
    /// cycle's last delivering step.
    mutating func endCycle(_ summary: inout CycleSummary, into alerts: inout [Alert]) {
        guard cell.cellType != .symmetric, let delivery = fullCell.lastDelivery else { return }
        fullCell.lastDelivery = nil
        closeFullCellCycle(&summary, delivery: delivery, into: &alerts)
        window.observeCycleClosed()
    }

    mutating func addToCycleSummary(_ closing: inout StepAccumulator) {
        guard var summary = cycleSummary else { return }
        let duration = closing.lastTime - closing.startTime
        summary.endTestTimeSeconds = closing.lastTime
        summary.sampleCount += closing.sampleCount
        switch closing.kind {
        case .charge:
            summary.chargeCapacityAmpHours += closing.capacityAmpHours
            summary.chargeEnergyWattHours += closing.energyWattHours
            summary.chargeSeconds += duration
            summary.endOfChargeVoltageVolts = closing.lastVoltage
            if cell.cellType == .symmetric { summary.chargePlateauOverpotentialVolts = closing.plateauMean }
        case .discharge:
            summary.dischargeCapacityAmpHours += closing.capacityAmpHours
            summary.dischargeEnergyWattHours += closing.energyWattHours
            summary.dischargeSeconds += duration
            summary.endOfDischargeVoltageVolts = closing.lastVoltage
            if cell.cellType == .symmetric { summary.dischargePlateauOverpotentialVolts = closing.plateauMean }
        case .rest:
            summary.restSeconds += duration
        }
        if closing.temperatureCount > 0 {
            summary.temperatureMaxCelsius = max(summary.temperatureMaxCelsius ?? -.infinity, closing.temperatureMax)
        }
        if let resistance = resistance.lastOhms { summary.directCurrentResistanceOhms = resistance }
        if let soh = fullCell.lastStateOfHealth, fullCell.lastStateOfHealthCycle == summary.cycle { summary.stateOfHealth = soh }
        cycleSummary = summary
    }

    // MARK: alerts

    @inline(__always)
    func hasLatched(_ rule: DetectionRule) -> Bool {
        latched & (1 << rule.bit) != 0
    }

    mutating func fire(
        _ rule: DetectionRule, severity: AlertSeverity? = nil, at point: RawPoint, time: Double? = nil,
        cycle alertCycle: Int? = nil, evidence: [String: Double], message: String, into alerts: inout [Alert]
    ) {
        let latches = rule.latches && (severity == nil || severity == .fail)
        if latches {
            if hasLatched(rule) { return }
            latched |= 1 << rule.bit
        }
        let alert = Alert(
            rule: rule, severity: severity, cellID: cell.cellID,
            testTimeSeconds: time ?? point.time, cycle: alertCycle ?? cycle, evidence: evidence, message: message
        )
        alerts.append(alert)
        if !latches { warnEpisodeStarts[Int(rule.bit)] = alert.testTimeSeconds }
        record(.opened, of: alert, lastTime: alert.testTimeSeconds, count: 1)
    }

    /// A warn rule re-armed: its open episode ends at `time`.
    mutating func endEpisode(_ rule: DetectionRule, at time: Double) {
        let start = warnEpisodeStarts[Int(rule.bit)]
        guard !start.isNaN else { return }
        warnEpisodeStarts[Int(rule.bit)] = .nan
        let severity: AlertSeverity = rule == .S6 ? .warn : rule.defaultSeverity
        recordEpisode(AlertEpisode(phase: .closed, rule: rule, severity: severity, kind: nil,
                                   startTestTimeSeconds: start, lastTestTimeSeconds: time, count: 1))
    }

    mutating func record(_ phase: AlertEpisode.Phase, of alert: Alert, lastTime: Double, count: Int) {
        recordEpisode(AlertEpisode(phase: phase, rule: alert.rule, severity: alert.severity, kind: alert.kind,
                                   startTestTimeSeconds: alert.testTimeSeconds, lastTestTimeSeconds: lastTime, count: count))
    }

    mutating func recordEpisode(_ episode: AlertEpisode) {
        if collectsEpisodes { collectedEpisodes.append(episode) }
    }

    mutating func perSampleRules(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        switch cell.cellType {
        case .symmetric:
            symmetricSampleRules(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
            // A full or half cell's CV hold near the instrument's limit (LNMO at 4.9 V) is its protocol.
            clampRule(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        case .half, .full:
            fullCellSampleRules(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        }
        dataQualityRules(point, into: &alerts)
    }
}

extension CellDetector {
    /// The direction that fills the working electrode, which a cycle starts with.
    @inline(__always) var storingKind: StepKind { isAnodeHalfCell ? .discharge : .charge }
    /// The direction whose capacity is the cell's capacity, which ends a cycle.
    @inline(__always) var deliveringKind: StepKind { isAnodeHalfCell ? .charge : .discharge }
}

extension DetectionRule {
    var bit: UInt32 { UInt32(Self.allCases.firstIndex(of: self)!) }
}

/// One raw sample in the detector's internal shape: optional columns as NaN or a sentinel so the
/// hot loop does no optional unwrapping.
struct RawPoint: Codable, Sendable {
    static let absent = Int32.min
    var time: Double
    var voltage: Double
    var current: Double
    var temperature: Double
    var cyclerStep: Int32
    var cyclerCycle: Int32
    var cyclerCapacity: Double

    init(time: Double, voltage: Double, current: Double, temperature: Double, cyclerStep: Int32, cyclerCycle: Int32, cyclerCapacity: Double) {
        self.time = time
        self.voltage = voltage
        self.current = current
        self.temperature = temperature
        self.cyclerStep = cyclerStep
        self.cyclerCycle = cyclerCycle
        self.cyclerCapacity = cyclerCapacity
    }

    init(_ sample: Sample) {
        self.init(
            time: sample.testTimeSeconds, voltage: sample.voltageVolts, current: sample.currentAmperes,
            temperature: sample.temperatureCelsius ?? .nan,
            cyclerStep: sample.stepIndex ?? Self.absent, cyclerCycle: sample.cycleIndex ?? Self.absent,
            cyclerCapacity: sample.capacityAmpHours ?? .nan
        )
    }
}
