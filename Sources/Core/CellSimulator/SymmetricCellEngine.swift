import CellModel
import Foundation

/// Streams one symmetric cell's samples. Stateless physics (η is a closed form of time) plus a
/// handful of scalars for the protocol position and the soft-short event process: O(1) memory.
struct SymmetricCellEngine: Sendable {
    private let parameters: SymmetricCellParameters
    private let artefacts: InstrumentArtefacts
    private let clampVolts: Double?
    private let baseIntervalSeconds: Double
    private let durationSeconds: Double
    private let areaSquareCentimeters: Double

    private var noiseRandom: SeededRandom
    private var glitchRandom: SeededRandom
    private var eventRandom: SeededRandom
    private var thermoRandom: SeededRandom

    // Protocol position.
    private var stageIndex = 0
    private var halfCyclesDoneInStage = 0
    private var halfCycleNumber = 0
    private var stepStartSeconds = 0.0
    private var stepEndSeconds = 0.0
    private var currentDensity = 0.0
    private var lastSampleSeconds = -Double.infinity
    private var finished = false

    // Faults, unpacked once.
    private var hardShortSeconds = Double.infinity
    private var hardShortAreaResistance = 0.0
    private var softShort: (start: Double, base: Double, ramp: Double, meanDuration: Double, lower: Double, upper: Double)?
    private var decline: (start: Double, end: Double, finalFraction: Double, noiseMultiplier: Double)?
    private var nextEventSeconds = Double.infinity
    private var eventEndSeconds = -Double.infinity
    private var eventFactor = 1.0

    init(parameters: SymmetricCellParameters, artefacts: InstrumentArtefacts, clampVolts: Double?, seed: UInt64, sampleIntervalSeconds: Double, durationSeconds: Double) {
        self.parameters = parameters
        self.artefacts = artefacts
        self.clampVolts = clampVolts
        self.baseIntervalSeconds = sampleIntervalSeconds
        self.durationSeconds = durationSeconds
        self.areaSquareCentimeters = parameters.areaSquareCentimeters
        noiseRandom = SeededRandom(seed: seed, stream: 1)
        glitchRandom = SeededRandom(seed: seed, stream: 2)
        eventRandom = SeededRandom(seed: seed, stream: 3)
        thermoRandom = SeededRandom(seed: seed, stream: 4)
        for fault in parameters.faults {
            switch fault {
            case let .hardShort(at, resistance):
                hardShortSeconds = min(hardShortSeconds, at)
                hardShortAreaResistance = resistance
            case let .intermittentSoftShort(start, base, ramp, mean, lower, upper):
                softShort = (start, base, ramp, mean, lower, upper)
            case let .decliningOverpotential(start, end, finalFraction, noiseMultiplier):
                decline = (start, end, finalFraction, noiseMultiplier)
            }
        }
        if let softShort {
            nextEventSeconds = nextArrival(after: softShort.start)
        }
        if parameters.protocolStages.isEmpty {
            finished = true
        } else {
            beginStage(0, at: 0)
        }
    }

    private mutating func beginStage(_ index: Int, at t: Double) {
        stageIndex = index
        halfCyclesDoneInStage = 0
        let stage = parameters.protocolStages[index]
        currentDensity = stage.currentDensityMilliampsPerSquareCentimeter
        stepStartSeconds = t
        stepEndSeconds = t + stage.halfCycleSeconds
    }

    private mutating func advanceHalfCycle() {
        halfCycleNumber += 1
        halfCyclesDoneInStage += 1
        let stage = parameters.protocolStages[stageIndex]
        if let count = stage.halfCycles, halfCyclesDoneInStage >= count {
            if stageIndex + 1 < parameters.protocolStages.count {
                beginStage(stageIndex + 1, at: stepEndSeconds)
            } else {
                finished = true
            }
            return
        }
        stepStartSeconds = stepEndSeconds
        stepEndSeconds = stepStartSeconds + stage.halfCycleSeconds
    }

    mutating func next(startUnixTimeSeconds: Double) -> Sample? {
        while !finished {
            var t: Double
            var endsStep = false
            if lastSampleSeconds == -.infinity {
                t = 0
            } else {
                t = lastSampleSeconds + artefacts.sampleInterval(at: lastSampleSeconds, base: baseIntervalSeconds)
            }
            if t >= stepEndSeconds - 1e-6 {
                t = stepEndSeconds
                endsStep = true
            }
            if t > durationSeconds + 1e-6 {
                finished = true
                return nil
            }
            let sample = makeSample(at: t, startUnixTimeSeconds: startUnixTimeSeconds)
            lastSampleSeconds = t
            if endsStep { advanceHalfCycle() }
            if artefacts.isInGap(t) { continue }
            return sample
        }
        return nil
    }

    private mutating func makeSample(at t: Double, startUnixTimeSeconds: Double) -> Sample {
        let sign: Double = halfCycleNumber % 2 == 0 ? 1 : -1
        let j = currentDensity
        let temperature = artefacts.temperatureCelsius(atTestTime: t)
        var asr = parameters.areaResistanceOhmSquareCentimeters(atTestTime: t, currentDensity: j)
        asr *= parameters.temperatureFactor(celsius: temperature)
        var noiseMultiplier = 1.0
        if t >= hardShortSeconds {
            asr = asr * hardShortAreaResistance / (asr + hardShortAreaResistance)
        } else {
            if softShort != nil { asr *= softShortFactor(at: t) }
            if let decline, t >= decline.start {
                let progress = min((t - decline.start) / (decline.end - decline.start), 1)
                asr *= 1 - (1 - decline.finalFraction) * progress
                noiseMultiplier = 1 + (decline.noiseMultiplier - 1) * progress
            }
        }
        let tau = t - stepStartSeconds
        let halfCycle = stepEndSeconds - stepStartSeconds
        let endFraction = tau / halfCycle
        let endFraction2 = endFraction * endFraction
        let shape = 1 + parameters.nucleationAmplitude * exp(-tau / parameters.nucleationTimeConstantSeconds)
            + parameters.endOfStepRiseAmplitude * endFraction2 * endFraction2
        let overpotential = j * 1e-3 * asr * shape
        var volts = sign * overpotential
        if artefacts.noiseSigmaVolts > 0 {
            volts += artefacts.noiseSigmaVolts * noiseMultiplier * noiseRandom.nextNormal()
        }
        if artefacts.glitchProbability > 0, glitchRandom.nextBernoulli(artefacts.glitchProbability) {
            volts += glitchRandom.nextUniform() < 0.5 ? -artefacts.glitchAmplitudeVolts : artefacts.glitchAmplitudeVolts
        }
        if let clamp = clampVolts { volts = min(max(volts, -clamp), clamp) }
        let amperes = sign * j * 1e-3 * areaSquareCentimeters
        var measuredTemperature = temperature
        if artefacts.temperatureNoiseCelsius > 0 {
            measuredTemperature += artefacts.temperatureNoiseCelsius * thermoRandom.nextNormal()
        }
        return Sample(
            unixTimeSeconds: startUnixTimeSeconds + t,
            testTimeSeconds: t,
            voltageVolts: volts,
            currentAmperes: amperes,
            capacityAmpHours: abs(amperes) * tau / 3600,
            temperatureCelsius: measuredTemperature,
            stepIndex: Int32(truncatingIfNeeded: halfCycleNumber + 1),
            stepType: sign > 0 ? .constantCurrentCharge : .constantCurrentDischarge,
            cycleIndex: Int32(truncatingIfNeeded: halfCycleNumber / 2 + 1)
        )
    }

    /// ASR multiplier of the intermittent soft short at t: R_sh/(ASR + R_sh) while a contact lasts.
    private mutating func softShortFactor(at t: Double) -> Double {
        guard let softShort else { return 1 }
        while nextEventSeconds <= t {
            let start = nextEventSeconds
            eventEndSeconds = start + eventRandom.nextExponential(mean: softShort.meanDuration)
            let fraction = eventRandom.nextUniform(in: softShort.lower, softShort.upper)
            eventFactor = fraction / (1 + fraction)
            nextEventSeconds = nextArrival(after: eventEndSeconds)
        }
        return t < eventEndSeconds ? eventFactor : 1
    }

    /// Next arrival of the non-homogeneous Poisson process λ(x) = base + ramp·x (x in hours since
    /// the start), by inverting the integrated rate Λ(x) = base·x + ramp·x²/2.
    private mutating func nextArrival(after t: Double) -> Double {
        guard let softShort else { return .infinity }
        let x0 = max(t - softShort.start, 0) / 3600
        let target = softShort.base * x0 + softShort.ramp * x0 * x0 / 2 + eventRandom.nextExponential(mean: 1)
        let x: Double
        if softShort.ramp > 0 {
            x = (-softShort.base + (softShort.base * softShort.base + 2 * softShort.ramp * target).squareRoot()) / softShort.ramp
        } else if softShort.base > 0 {
            x = target / softShort.base
        } else {
            return .infinity
        }
        return softShort.start + x * 3600
    }
}
