import Foundation

/// Li | SE | Li symmetric cell under galvanostatic half-cycles (docs/detectors.md §7.2):
///
///     V = s·η + ε + g,   η = j·ASR_eff(t, j, T)·[1 + a_nuc·e^(−τ/τ_nuc) + a_end·(τ/T_h)^4]
public struct SymmetricCellParameters: Sendable {
    /// Electrode area; 10 mm die → 0.785 cm².
    public var areaSquareCentimeters: Double
    /// The cycler's current program, run in order; the last stage with nil `halfCycles` repeats.
    public var protocolStages: [SymmetricCurrentStage]
    /// ASR at 25 °C and low current as a function of test time.
    public var resistanceLaw: AreaResistanceLaw
    /// ASR(j) = ASR·(1 + (j/j_knee)²) reproduces the super-linear rate test; nil = ohmic.
    public var currentKneeMilliampsPerSquareCentimeter: Double?
    public var nucleationAmplitude: Double
    public var nucleationTimeConstantSeconds: Double
    public var endOfStepRiseAmplitude: Double
    /// Interphase activation energy for the Arrhenius temperature factor.
    public var activationEnergyElectronVolts: Double
    public var faults: [SymmetricCellFault]

    public init(
        areaSquareCentimeters: Double = 0.785,
        protocolStages: [SymmetricCurrentStage],
        resistanceLaw: AreaResistanceLaw,
        currentKneeMilliampsPerSquareCentimeter: Double? = nil,
        nucleationAmplitude: Double = 0.15,
        nucleationTimeConstantSeconds: Double = 60,
        endOfStepRiseAmplitude: Double = 0.05,
        activationEnergyElectronVolts: Double = 0.3,
        faults: [SymmetricCellFault] = []
    ) {
        self.areaSquareCentimeters = areaSquareCentimeters
        self.protocolStages = protocolStages
        self.resistanceLaw = resistanceLaw
        self.currentKneeMilliampsPerSquareCentimeter = currentKneeMilliampsPerSquareCentimeter
        self.nucleationAmplitude = nucleationAmplitude
        self.nucleationTimeConstantSeconds = nucleationTimeConstantSeconds
        self.endOfStepRiseAmplitude = endOfStepRiseAmplitude
        self.activationEnergyElectronVolts = activationEnergyElectronVolts
        self.faults = faults
    }

    /// ASR at 25 °C (Ω·cm²) at test time t and areal current j, before any short.
    public func areaResistanceOhmSquareCentimeters(atTestTime t: Double, currentDensity j: Double) -> Double {
        var asr = resistanceLaw.value(atHours: t / 3600)
        if let knee = currentKneeMilliampsPerSquareCentimeter {
            let ratio = j / knee
            asr *= 1 + ratio * ratio
        }
        return asr
    }

    /// Arrhenius factor exp[E_a/k_B·(1/T − 1/298.15 K)].
    @inline(__always)
    func temperatureFactor(celsius: Double) -> Double {
        if celsius == 25 { return 1 }
        let boltzmannElectronVoltsPerKelvin = 8.617_333_262e-5
        let kelvin = celsius + 273.15
        return exp(activationEnergyElectronVolts / boltzmannElectronVoltsPerKelvin * (1 / kelvin - 1 / 298.15))
    }
}

/// A block of half-cycles at one areal current.
public struct SymmetricCurrentStage: Sendable, Hashable {
    public var currentDensityMilliampsPerSquareCentimeter: Double
    public var halfCycleSeconds: Double
    /// nil: repeat until the test ends.
    public var halfCycles: Int?

    public init(currentDensityMilliampsPerSquareCentimeter: Double, halfCycleSeconds: Double, halfCycles: Int?) {
        self.currentDensityMilliampsPerSquareCentimeter = currentDensityMilliampsPerSquareCentimeter
        self.halfCycleSeconds = halfCycleSeconds
        self.halfCycles = halfCycles
    }

    /// Areal capacity passed per half-cycle, mAh cm⁻².
    public var arealCapacityPerHalfCycle: Double {
        currentDensityMilliampsPerSquareCentimeter * halfCycleSeconds / 3600
    }
}

/// How the interfacial area resistance (Ω·cm², 25 °C) evolves with test time in hours.
public enum AreaResistanceLaw: Sendable, Hashable {
    /// Coated Li: plateau − drop·e^(−t/τ) + drift·t (conditioning, then a slow drift).
    case conditioning(plateau: Double, drop: Double, timeConstantHours: Double, driftPerHour: Double)
    /// Bare-Li runaway: initial·e^(t/τ).
    case exponential(initial: Double, eFoldHours: Double)
    /// Wenzel-type interphase growth: initial·(1 + k·√t).
    case squareRoot(initial: Double, coefficientPerRootHour: Double)
    case constant(Double)

    public func value(atHours hours: Double) -> Double {
        switch self {
        case let .conditioning(plateau, drop, tau, drift):
            return plateau - drop * exp(-hours / tau) + drift * hours
        case let .exponential(initial, eFold):
            return initial * exp(hours / eFold)
        case let .squareRoot(initial, k):
            return initial * (1 + k * max(hours, 0).squareRoot())
        case let .constant(value):
            return value
        }
    }
}

/// Ways a symmetric cell fails besides polarization growth (docs/detectors.md §7.2).
public enum SymmetricCellFault: Sendable, Hashable {
    /// From `atSeconds` on, a filament of area resistance R_sh (Ω·cm²) bridges the cell.
    case hardShort(atSeconds: Double, areaResistance: Double)
    /// Poisson contact events from `startSeconds`, rate λ(t) = base + ramp·(t − start) per hour,
    /// each lasting Exp(mean) with R_sh ~ U(lower, upper)·ASR.
    case intermittentSoftShort(
        startSeconds: Double, baseRatePerHour: Double, rateRampPerHourSquared: Double,
        meanDurationSeconds: Double, lowerResistanceFraction: Double, upperResistanceFraction: Double
    )
    /// A growing parallel leak that pulls η linearly down to `finalFraction` of its value between
    /// start and end, with the noise rising to `noiseMultiplier`× over the same period.
    case decliningOverpotential(startSeconds: Double, endSeconds: Double, finalFraction: Double, noiseMultiplier: Double)
}
