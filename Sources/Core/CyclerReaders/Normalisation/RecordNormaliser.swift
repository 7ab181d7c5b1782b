import CellModel

/// Turns one record's fields into a `CyclerRecord` in our units and conventions: time derived
/// where the file has no test-time column, test time continued across a resumed test, current
/// from a charge increment and in our sign, the step type from the profile's state rules, the
/// capacity counters, and the cycle numbers the instrument leaves to its export software. What
/// it carries from record to record is `state`, stored once; everything else here is a memo.
struct RecordNormaliser {
    let profile: CompiledProfile
    /// The carried state: restore it and the next record comes out as in an uninterrupted read.
    var state: NormaliserState
    var checks: SanityChecks
    /// Step type per state label already matched: files alternate among a handful of labels,
    /// and matching one (lower-casing, Foundation's substring search per rule) cost microseconds.
    private var stepTypeByLabel: [String: StepType] = [:]
    private var lastStateLabel: String?
    private var lastStepType: StepType = .unknown
    /// The direction of a step type is asked of CellModel once per change of type, not per record.
    private var directionCacheType: StepType = .unknown
    private var directionCache = CurrentDirection(StepType.unknown)

    init(profile: CompiledProfile) {
        self.profile = profile
        state = NormaliserState(testTimeScale: profile.declaredTestTimeScale)
        checks = SanityChecks(profile: profile)
    }

    /// Normalises `fields` and the record's state `label` into `record`, in record order (the
    /// carried state moves on by one).
    ///
    /// Every field of `CyclerRecord` is set here, field by field (the fast-path tests compare
    /// every field): building a record and assigning it cost a 234-byte copy and an outlined
    /// destroy of the old one per record. The sample too: `Sample.init` lives in CellModel (an
    /// opaque call per record) and its result, read back from the stack, stalled on store
    /// forwarding. Fields that `init` would default keep the defaults `record` was made with.
    @_transparent
    mutating func normalise(_ fields: RecordFields, label: consuming String?, into record: inout CyclerRecord) throws {
        let index = fields.recordIndex
        // Time: as written, else from the clock, else from the step time.
        var testTime: Double
        var unix = fields.clockUnixSeconds
        if let written = fields.testTimeSeconds {
            testTime = written
        } else if let clock = unix {
            if state.firstUnixForDerived == nil { state.firstUnixForDerived = clock }
            testTime = clock - state.firstUnixForDerived.unsafelyUnwrapped
        } else if let stepTime = fields.stepTimeSeconds {
            if let p = state.previousStepTime, stepTime < p { state.derivedTimeBase += p }
            state.previousStepTime = stepTime
            testTime = state.derivedTimeBase + stepTime
        } else {
            throw checks.noReadableTime(recordIndex: index, profile: profile)
        }
        if unix == nil, let start = profile.startUnixSeconds { unix = start + testTime }
        // Current.
        var current: Double
        if let i = fields.currentAmperes {
            current = i
        } else if let dq = fields.chargeIncrementAmpHours {
            // EC-Lab binaries without a current column: the average current over the interval.
            if let p = state.previousDerivedTime, testTime > p { current = dq * 3600 / (testTime - p) } else { current = 0 }
        } else {
            current = .nan
        }
        state.previousDerivedTime = testTime
        if profile.currentSign == .positiveIsDischarge { current = -current }
        let type = stepType(label: label, current: current)
        if type != directionCacheType {
            directionCacheType = type
            directionCache = CurrentDirection(type)
        }
        var direction = directionCache
        if label == nil, profile.hasState { direction = .unknown }
        if profile.currentSign == .fromState {
            if direction == .charge { current = current.magnitude } else if direction == .discharge { current = -current.magnitude }
        }
        // Capacity counters: a signed one, else a single one whose direction is the state's, and
        // the charge/discharge pair. `magnitude` is what `abs` gives a Double, without a generic call.
        var capacity: Double? = nil
        var signed = false
        if let q = fields.signedCapacityAmpHours { capacity = q; signed = true } else if let q = fields.capacityAmpHours { capacity = q.magnitude }
        let chargeCounter = fields.chargeCapacityAmpHours?.magnitude
        let dischargeCounter = fields.dischargeCapacityAmpHours?.magnitude
        var energy: Double? = fields.energyWattHours?.magnitude
        if energy == nil, let ce = fields.chargeEnergyWattHours, let de = fields.dischargeEnergyWattHours { energy = ce.magnitude - de.magnitude }
        // Cycles as the instrument numbers them, carried over records that leave them out.
        var cycle: Int? = nil
        switch profile.cycleNumbering {
        case .column:
            cycle = fields.cycle
            if cycle == nil, !profile.hasCycle, let half = fields.halfCycle { cycle = half / 2 }
            if cycle == nil { cycle = state.previousCycle }
            state.previousCycle = cycle
        case .halfCycleDiv2:
            if let half = fields.halfCycle { cycle = half / 2 } else { cycle = state.previousCycle }
            state.previousCycle = cycle
        case .chargeAfterDischarge, .firstDirectionRepeats:
            // Rule-numbered formats still take the instrument's own cycle column when a variant has one.
            cycle = fields.cycle
        }
        try continueTestTime(&testTime, unix: unix ?? .nan, recordIndex: index)
        if profile.currentSign != .fromState, label != nil, current.magnitude > 1e-9 {
            try checks.tallySign(direction: direction, currentAmperes: current)
        }
        numberCyclesByRule(direction: direction, instrumentCycle: &cycle)
        // No closures below (`map`, `??`): in this large inlined body they stayed calls per record.
        var sampleCapacity = capacity
        if sampleCapacity == nil, let c = chargeCounter, let d = dischargeCounter { sampleCapacity = c - d }
        record.sample.unixTimeSeconds = unix ?? .nan
        record.sample.testTimeSeconds = testTime
        record.sample.voltageVolts = fields.voltageVolts
        record.sample.currentAmperes = current
        record.sample.capacityAmpHours = sampleCapacity
        record.sample.energyWattHours = energy
        record.sample.temperatureCelsius = fields.temperatureCelsius
        record.sample.stepIndex = Self.int32(fields.step)
        record.sample.stepType = type
        record.sample.cycleIndex = Self.int32(cycle)
        record.recordIndex = index
        record.instrumentCycle = cycle
        record.stepNumber = fields.step
        record.halfCycle = fields.halfCycle
        // Moved, not copied: a retain and a release per record otherwise.
        record.stateLabel = consume label
        record.direction = direction
        record.testTimeAsWrittenSeconds = fields.testTimeSeconds
        record.chargeCounterAmpHours = chargeCounter
        record.dischargeCounterAmpHours = dischargeCounter
        record.capacityCounterAmpHours = capacity
        record.capacityCounterIsSigned = signed
    }

    @inline(__always)
    static func int32(_ value: Int?) -> Int32? {
        if let value { return Int32(clamping: value) }
        return nil
    }

    /// Resumed tests: test time restarting while the clock goes on is continued from the
    /// clock; restarting with no clock to show it is a refusal. Also checks that test time
    /// does not outrun the clock.
    @inline(__always)
    mutating func continueTestTime(_ testTime: inout Double, unix: Double, recordIndex: Int) throws {
        if profile.hasTestTime {
            let written = testTime
            if let previous = state.previousTestTime, written + state.testTimeOffset < previous - 1 {
                if let pu = state.previousUnix, unix.isFinite, unix >= pu - 1 {
                    let newOffset = previous + max(0, unix - pu) - written
                    checks.warnResumedTest(recordIndex: recordIndex, writtenSeconds: written, previousSeconds: previous - state.testTimeOffset)
                    state.testTimeOffset = newOffset
                } else {
                    throw checks.testTimeRunsBackwards(previousSeconds: previous, nowSeconds: written + state.testTimeOffset, recordIndex: recordIndex)
                }
            }
            testTime = written + state.testTimeOffset
            state.previousTestTime = testTime
        }
        if unix.isFinite {
            if let firstUnix = state.firstUnix, let firstTest = state.firstTestTimeForSpan, profile.hasTestTime, profile.hasTimestamp {
                try checks.checkTestTime(elapsedSeconds: testTime - firstTest, clockElapsedSeconds: unix - firstUnix, recordIndex: recordIndex)
            } else if state.firstUnix == nil {
                state.firstUnix = unix
                state.firstTestTimeForSpan = testTime
            }
            state.previousUnix = unix
        }
    }

    /// Cycle numbering rules that the instrument leaves to its export software.
    @inline(__always)
    mutating func numberCyclesByRule(direction: CurrentDirection, instrumentCycle: inout Int?) {
        switch profile.cycleNumbering {
        case .chargeAfterDischarge:
            if direction == .charge, state.lastActiveDirection == .discharge { state.ruleCycle += 1 }
            if instrumentCycle == nil { instrumentCycle = state.ruleCycle }
        case .firstDirectionRepeats:
            if direction == .charge || direction == .discharge {
                if state.firstActiveDirection == nil { state.firstActiveDirection = direction }
                if direction == state.firstActiveDirection, let last = state.lastActiveDirection, last != direction { state.ruleCycle += 1 }
            }
            if instrumentCycle == nil { instrumentCycle = state.ruleCycle }
        case .column, .halfCycleDiv2:
            break
        }
        if direction == .charge || direction == .discharge { state.lastActiveDirection = direction }
    }

    /// The end of the records: the sign check over the whole file.
    mutating func finish() throws {
        try checks.checkSign(final: true)
    }

    /// Without a label, or with the previous record's, answered inline.
    @inline(__always)
    mutating func stepType(label: String?, current: Double) -> StepType {
        if let label {
            if label == lastStateLabel { return lastStepType }
            return stepType(newLabel: label)
        }
        if current > 1e-12 { return .constantCurrentCharge }
        if current < -1e-12 { return .constantCurrentDischarge }
        return .rest
    }

    @inline(never)
    mutating func stepType(newLabel label: String) -> StepType {
        if let known = stepTypeByLabel[label] {
            lastStateLabel = label
            lastStepType = known
            return known
        }
        let lower = label.lowercased()
        var found: StepType = .unknown
        for rule in profile.stateRules {
            let hit: Bool = switch rule.kind {
            case .exact: lower == rule.label
            case .prefix: lower.hasPrefix(rule.label)
            case .contains: lower.contains(rule.label)
            }
            if hit { found = rule.step; break }
        }
        lastStateLabel = label
        lastStepType = found
        if stepTypeByLabel.count < 1024 { stepTypeByLabel[label] = found }
        return found
    }
}
