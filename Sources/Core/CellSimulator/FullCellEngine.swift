import CellModel
import Foundation

/// Streams one full cell's samples under CC charge / rest / CC discharge / rest cycling.
///
/// The state (y, v_RC) is integrated in sub-steps of at most 6 s/C-rate (60 s at 0.1C) and at
/// most one sample interval; a voltage
/// cutoff ends its step at the interpolated crossing time and that step-end point is logged, as
/// cyclers do. Samples otherwise follow a grid restarted at every step. O(1) memory.
struct FullCellEngine: Sendable {
    private enum Phase: Sendable { case charge, restAfterCharge, discharge, restAfterDischarge }

    private let parameters: FullCellParameters
    private let artefacts: InstrumentArtefacts
    private let baseIntervalSeconds: Double
    private let durationSeconds: Double
    private let theoreticalAmpereSeconds: Double
    private let tenthCAmperes: Double

    private var noiseRandom: SeededRandom
    private var glitchRandom: SeededRandom
    private var contactRandom: SeededRandom
    private var thermoRandom: SeededRandom
    private var fadeRandom: SeededRandom

    // Electrochemical state, valid at `stateSeconds`.
    private var lithiumContent: Double
    private var relaxationVolts = 0.0
    private var stateSeconds = 0.0

    // Protocol position.
    private var phase = Phase.charge
    private var cycle = 1
    private var stageIndex = 0
    private var cyclesDoneInStage = 0
    private var stepNumber = 1
    private var stepStartSeconds = 0.0
    private var stepCurrentAmperes = 0.0
    private var stepChargeAmpHours = 0.0
    private var usableFraction = 1.0
    private var resistanceOhms = 0.0
    private var lastSampleSeconds = -Double.infinity
    private var finished = false

    // Faults.
    private var contacts: (fromCycle: Int, rate: Double, meanDuration: Double, lower: Double, upper: Double)?
    private var chargeLeak: (fromCycle: Int, ohms: Double)?
    private var constantLeak: (fromCycle: Int, ohms: Double)?
    private var hardShort: (at: Double, fraction: Double)?
    private var growingLeak: (fromCycle: Int, siemensPerCycle: Double)?
    private var nextContactSeconds = Double.infinity
    private var contactEndSeconds = -Double.infinity
    private var contactOhms = Double.infinity

    init(parameters: FullCellParameters, artefacts: InstrumentArtefacts, seed: UInt64, sampleIntervalSeconds: Double, durationSeconds: Double) {
        self.parameters = parameters
        self.artefacts = artefacts
        self.baseIntervalSeconds = sampleIntervalSeconds
        self.durationSeconds = durationSeconds
        self.theoreticalAmpereSeconds = parameters.theoreticalCapacityAmpereSeconds
        self.tenthCAmperes = parameters.tenthCCurrentAmperes
        noiseRandom = SeededRandom(seed: seed, stream: 11)
        glitchRandom = SeededRandom(seed: seed, stream: 12)
        contactRandom = SeededRandom(seed: seed, stream: 13)
        thermoRandom = SeededRandom(seed: seed, stream: 14)
        fadeRandom = SeededRandom(seed: seed, stream: 15)
        lithiumContent = parameters.initialLithiumContent
        for fault in parameters.faults {
            switch fault {
            case let .transientContacts(from, rate, mean, lower, upper): contacts = (from, rate, mean, lower, upper)
            case let .chargeLeak(from, ohms): chargeLeak = (from, ohms)
            case let .constantLeak(from, ohms): constantLeak = (from, ohms)
            case let .hardShort(at, fraction): hardShort = (at, fraction)
            case let .growingLeak(from, siemens): growingLeak = (from, siemens)
            }
        }
        if parameters.protocolStages.isEmpty {
            finished = true
        } else {
            beginCycle(at: 0)
        }
    }

    // MARK: protocol

    private var cRate: Double { parameters.protocolStages[stageIndex].cRate }

    private mutating func beginCycle(at t: Double) {
        var fraction = parameters.usableFraction.value(cycle: cycle)
        if parameters.usableFractionScatter > 0 {
            fraction *= 1 + parameters.usableFractionScatter * fadeRandom.nextNormal()
        }
        usableFraction = max(fraction * parameters.rateMultiplier(cRate: cRate), 0.005)
        resistanceOhms = parameters.resistance.ohms(cycle: cycle)
        if let contacts, cycle == contacts.fromCycle {
            nextContactSeconds = t + contactRandom.nextExponential(mean: 3600 / contacts.rate)
        }
        beginStep(.charge, at: t)
    }

    private mutating func beginStep(_ newPhase: Phase, at t: Double) {
        phase = newPhase
        stepStartSeconds = t
        stepChargeAmpHours = 0
        let amperes = cRate * parameters.nominalCapacityAmpHours
        switch newPhase {
        case .charge: stepCurrentAmperes = amperes
        case .discharge: stepCurrentAmperes = -amperes
        case .restAfterCharge, .restAfterDischarge: stepCurrentAmperes = 0
        }
    }

    private var stepTimeLimitSeconds: Double {
        switch phase {
        case .restAfterCharge, .restAfterDischarge:
            return parameters.restSeconds
        case .charge, .discharge:
            return parameters.stepTimeLimitFactor * 3600 / cRate
        }
    }

    private mutating func advanceStep(at t: Double) {
        stepNumber += 1
        switch phase {
        case .charge: beginStep(.restAfterCharge, at: t)
        case .restAfterCharge: beginStep(.discharge, at: t)
        case .discharge: beginStep(.restAfterDischarge, at: t)
        case .restAfterDischarge:
            cycle += 1
            cyclesDoneInStage += 1
            if let count = parameters.protocolStages[stageIndex].cycles, cyclesDoneInStage >= count {
                stageIndex += 1
                cyclesDoneInStage = 0
                if stageIndex >= parameters.protocolStages.count {
                    finished = true
                    return
                }
            }
            beginCycle(at: t)
        }
    }

    // MARK: sampling

    mutating func next(startUnixTimeSeconds: Double) -> Sample? {
        while !finished {
            var t: Double
            var endsStep = false
            if lastSampleSeconds == -.infinity {
                t = 0
            } else {
                t = lastSampleSeconds + artefacts.sampleInterval(at: lastSampleSeconds, base: baseIntervalSeconds)
            }
            let limit = stepStartSeconds + stepTimeLimitSeconds
            if t >= limit - 1e-6 {
                t = limit
                endsStep = true
            }
            if t > durationSeconds + 1e-6 {
                finished = true
                return nil
            }
            if let crossing = integrate(to: t) {
                t = crossing
                endsStep = true
            }
            let sample = makeSample(at: t, startUnixTimeSeconds: startUnixTimeSeconds)
            lastSampleSeconds = t
            if endsStep { advanceStep(at: t) }
            if artefacts.isInGap(t) { continue }
            return sample
        }
        return nil
    }

    private mutating func makeSample(at t: Double, startUnixTimeSeconds: Double) -> Sample {
        var volts = trueVoltage(at: t)
        if artefacts.noiseSigmaVolts > 0 {
            volts += artefacts.noiseSigmaVolts * noiseRandom.nextNormal()
        }
        if artefacts.glitchProbability > 0, glitchRandom.nextBernoulli(artefacts.glitchProbability) {
            volts += glitchRandom.nextUniform() < 0.5 ? -artefacts.glitchAmplitudeVolts : artefacts.glitchAmplitudeVolts
        }
        var temperature = artefacts.temperatureCelsius(atTestTime: t)
        if artefacts.temperatureNoiseCelsius > 0 {
            temperature += artefacts.temperatureNoiseCelsius * thermoRandom.nextNormal()
        }
        let stepType: StepType
        switch phase {
        case .charge: stepType = .constantCurrentCharge
        case .discharge: stepType = .constantCurrentDischarge
        case .restAfterCharge, .restAfterDischarge: stepType = .rest
        }
        return Sample(
            unixTimeSeconds: startUnixTimeSeconds + t,
            testTimeSeconds: t,
            voltageVolts: volts,
            currentAmperes: stepCurrentAmperes,
            capacityAmpHours: stepChargeAmpHours,
            temperatureCelsius: temperature,
            stepIndex: Int32(truncatingIfNeeded: stepNumber),
            stepType: stepType,
            cycleIndex: Int32(truncatingIfNeeded: cycle)
        )
    }

    // MARK: physics

    /// Parallel short resistance in force at t (∞ when none).
    private mutating func shortOhms(at t: Double) -> Double {
        var conductance = 0.0
        if let contacts, cycle >= contacts.fromCycle {
            while nextContactSeconds <= t {
                let start = nextContactSeconds
                contactEndSeconds = start + contactRandom.nextExponential(mean: contacts.meanDuration)
                contactOhms = contactRandom.nextUniform(in: contacts.lower, contacts.upper) * resistanceOhms
                nextContactSeconds = start + contactRandom.nextExponential(mean: 3600 / contacts.rate)
            }
            if t < contactEndSeconds { conductance += 1 / contactOhms }
        }
        if let chargeLeak, cycle >= chargeLeak.fromCycle, phase == .charge { conductance += 1 / chargeLeak.ohms }
        if let constantLeak, cycle >= constantLeak.fromCycle { conductance += 1 / constantLeak.ohms }
        if let growingLeak, cycle >= growingLeak.fromCycle {
            conductance += growingLeak.siemensPerCycle * Double(cycle - growingLeak.fromCycle + 1)
        }
        if let hardShort, t >= hardShort.at { conductance += 1 / (hardShort.fraction * resistanceOhms) }
        return conductance > 0 ? 1 / conductance : .infinity
    }

    @inline(__always)
    private func ionCurrent(openCircuitVolts: Double, shortOhms: Double) -> Double {
        guard shortOhms.isFinite else { return stepCurrentAmperes }
        return (stepCurrentAmperes * shortOhms - openCircuitVolts) / (shortOhms + resistanceOhms)
    }

    /// Terminal voltage of the present state with the short in force at t (noise-free).
    private mutating func trueVoltage(at t: Double) -> Double {
        let open = LithiumCobaltOxideOCV.potentialVolts(lithiumContent: lithiumContent) + relaxationVolts
        let ion = ionCurrent(openCircuitVolts: open, shortOhms: shortOhms(at: t))
        return open + ion * resistanceOhms
    }

    /// Advances (y, v_RC) by h seconds with the short fixed at its value at the sub-step start.
    private mutating func advanceState(by h: Double, shortOhms: Double) {
        let open = LithiumCobaltOxideOCV.potentialVolts(lithiumContent: lithiumContent) + relaxationVolts
        let ion = ionCurrent(openCircuitVolts: open, shortOhms: shortOhms)
        let target = parameters.relaxationVoltsAtTenthC * ion / tenthCAmperes
        relaxationVolts = target + (relaxationVolts - target) * exp(-h / parameters.relaxationTimeConstantSeconds)
        lithiumContent -= ion * h / (theoreticalAmpereSeconds * usableFraction)
        lithiumContent = min(max(lithiumContent, 0.35), 1.0)
        stepChargeAmpHours += abs(stepCurrentAmperes) * h / 3600
    }

    /// Integrates to t. Returns the crossing time if a voltage cutoff ends the step first (the
    /// state is then left at the crossing).
    private mutating func integrate(to t: Double) -> Double? {
        let isCharge = phase == .charge
        let isDischarge = phase == .discharge
        let maxSubstepSeconds = min(6 / cRate, baseIntervalSeconds)
        while stateSeconds < t - 1e-9 {
            let h = min(maxSubstepSeconds, t - stateSeconds)
            let start = stateSeconds
            let short = shortOhms(at: start)
            guard isCharge || isDischarge else {
                advanceState(by: h, shortOhms: short)
                stateSeconds = start + h
                continue
            }
            let savedContent = lithiumContent, savedRelaxation = relaxationVolts, savedCharge = stepChargeAmpHours
            let before = trueVoltage(at: start)
            advanceState(by: h, shortOhms: short)
            stateSeconds = start + h
            let after = trueVoltage(at: stateSeconds)
            let crossed = isCharge ? after >= parameters.upperCutoffVolts : after <= parameters.lowerCutoffVolts
            guard crossed else { continue }
            let cutoff = isCharge ? parameters.upperCutoffVolts : parameters.lowerCutoffVolts
            var fraction = after != before ? (cutoff - before) / (after - before) : 1
            fraction = min(max(fraction, 0), 1)
            // A step always lasts at least one second, so a cell already past its cutoff still
            // logs a (short) step instead of a zero-length one.
            let crossing = max(start + fraction * h, stepStartSeconds + 1)
            if crossing < stateSeconds {
                lithiumContent = savedContent
                relaxationVolts = savedRelaxation
                stepChargeAmpHours = savedCharge
                advanceState(by: crossing - start, shortOhms: short)
                stateSeconds = crossing
            }
            return stateSeconds
        }
        return nil
    }
}
