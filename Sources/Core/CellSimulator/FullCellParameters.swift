import Foundation

/// Li | LGPS | LiCoO2@LiNbO3 full cell (docs/detectors.md §7.3). State: Li content y of Li_yCoO2 and an
/// RC overpotential v_RC; an optional short R_sh in parallel:
///
///     I_ion = (I·R_sh − (U(y) + v_RC)) / (R_sh + R(N))        (I_ion = I without a short)
///     V     = U(y) + I_ion·R(N) + v_RC + ε
///     dv_RC/dt = (25 mV·I_ion/I_0.1C − v_RC)/τ_RC,  dy/dt = −I_ion/(Q_theo·f(N))
public struct FullCellParameters: Sendable {
    public var cathodeMassKilograms: Double
    public var theoreticalSpecificCapacityMilliampHoursPerGram: Double
    /// The cycler's C-rate basis (130 mAh g⁻¹ × cathode mass).
    public var nominalCapacityAmpHours: Double
    public var protocolStages: [FullCellStage]
    public var upperCutoffVolts: Double
    public var lowerCutoffVolts: Double
    public var restSeconds: Double
    /// Step time limit, as a multiple of the time to pass the nominal capacity at the step current.
    public var stepTimeLimitFactor: Double
    public var usableFraction: UsableFractionLaw
    /// Cycle-to-cycle relative scatter of f(N) (0.003 in scenario 9).
    public var usableFractionScatter: Double
    public var resistance: CellResistanceLaw
    public var relaxationVoltsAtTenthC: Double
    public var relaxationTimeConstantSeconds: Double
    /// Initial Li content (a freshly assembled, discharged cathode).
    public var initialLithiumContent: Double
    /// Multiplier on f(N) per C-rate: the rate-capability loss that the resistances alone do not
    /// give (calibrated so the paper's 130/121/105/83 mAh g⁻¹ come out, see `ScenarioCatalog`).
    public var rateCapacityMultipliers: [RateMultiplier]
    public var faults: [FullCellFault]

    public init(
        cathodeMassKilograms: Double = 7e-6,
        theoreticalSpecificCapacityMilliampHoursPerGram: Double = 274,
        nominalCapacityAmpHours: Double = 0.91e-3,
        protocolStages: [FullCellStage] = [FullCellStage(cRate: 0.1, cycles: nil)],
        upperCutoffVolts: Double = 4.2,
        lowerCutoffVolts: Double = 3.0,
        restSeconds: Double = 7200,
        stepTimeLimitFactor: Double = 1.5,
        usableFraction: UsableFractionLaw,
        usableFractionScatter: Double = 0,
        resistance: CellResistanceLaw,
        relaxationVoltsAtTenthC: Double = 0.025,
        relaxationTimeConstantSeconds: Double = 3600,
        initialLithiumContent: Double = 1.0,
        rateCapacityMultipliers: [RateMultiplier] = [],
        faults: [FullCellFault] = []
    ) {
        self.cathodeMassKilograms = cathodeMassKilograms
        self.theoreticalSpecificCapacityMilliampHoursPerGram = theoreticalSpecificCapacityMilliampHoursPerGram
        self.nominalCapacityAmpHours = nominalCapacityAmpHours
        self.protocolStages = protocolStages
        self.upperCutoffVolts = upperCutoffVolts
        self.lowerCutoffVolts = lowerCutoffVolts
        self.restSeconds = restSeconds
        self.stepTimeLimitFactor = stepTimeLimitFactor
        self.usableFraction = usableFraction
        self.usableFractionScatter = usableFractionScatter
        self.resistance = resistance
        self.relaxationVoltsAtTenthC = relaxationVoltsAtTenthC
        self.relaxationTimeConstantSeconds = relaxationTimeConstantSeconds
        self.initialLithiumContent = initialLithiumContent
        self.rateCapacityMultipliers = rateCapacityMultipliers
        self.faults = faults
    }

    /// Theoretical cathode capacity (Δy = 1) in ampere-seconds.
    public var theoreticalCapacityAmpereSeconds: Double {
        theoreticalSpecificCapacityMilliampHoursPerGram * cathodeMassKilograms * 1000 * 3.6
    }

    /// The 0.1C current in amperes.
    public var tenthCCurrentAmperes: Double { 0.1 * nominalCapacityAmpHours }

    /// The rate-capability multiplier at a C-rate (linear between calibrated points, 1 outside).
    public func rateMultiplier(cRate: Double) -> Double {
        let points = rateCapacityMultipliers
        guard let first = points.first else { return 1 }
        if cRate <= first.cRate { return first.multiplier }
        for (a, b) in zip(points, points.dropFirst()) where cRate <= b.cRate {
            return a.multiplier + (b.multiplier - a.multiplier) * (cRate - a.cRate) / (b.cRate - a.cRate)
        }
        return points[points.count - 1].multiplier
    }
}

/// A block of cycles at one C-rate (charge and discharge at the same rate).
public struct FullCellStage: Sendable, Hashable {
    public var cRate: Double
    /// nil: repeat until the test ends.
    public var cycles: Int?

    public init(cRate: Double, cycles: Int?) {
        self.cRate = cRate
        self.cycles = cycles
    }
}

public struct RateMultiplier: Sendable, Hashable {
    public var cRate: Double
    public var multiplier: Double

    public init(cRate: Double, multiplier: Double) {
        self.cRate = cRate
        self.multiplier = multiplier
    }
}

/// Usable fraction f(N) of the theoretical Li content window, by cycle number N (from 1).
public enum UsableFractionLaw: Sendable, Hashable {
    /// f₀·(1 − a·(N − 1)): the seed's coated cell (f₀ 0.943, a 0.0006).
    case linear(initial: Double, fadePerCycle: Double)
    /// f₀ up to cycle `flatCycles`, then ×(1 − b·(N − flatCycles)), never below floor·f₀: bare Li.
    case knee(initial: Double, flatCycles: Int, fadePerCycleAfter: Double, floorFraction: Double)
    /// f₀·[1 − a·N − c·w·ln(1 + e^((N − N_k)/w))]: the general softplus knee.
    case softplus(initial: Double, a: Double, c: Double, kneeCycle: Double, width: Double)

    public func value(cycle n: Int) -> Double {
        let x = Double(n)
        switch self {
        case let .linear(f0, a):
            return max(f0 * (1 - a * (x - 1)), 0.01)
        case let .knee(f0, flat, b, floor):
            guard n > flat else { return f0 }
            return f0 * max(1 - b * Double(n - flat), floor)
        case let .softplus(f0, a, c, nk, w):
            let soft = w * log1p(exp((x - nk) / w))
            return max(f0 * (1 - a * x - c * soft), 0.01)
        }
    }
}

/// Cell resistance R(N) in ohms, linear in cycle number: from `initial` at cycle 1 to `final`
/// at cycle `finalCycle` (and beyond, on the same line).
public struct CellResistanceLaw: Sendable, Hashable {
    public var initialOhms: Double
    public var finalOhms: Double
    public var finalCycle: Int

    public init(initialOhms: Double, finalOhms: Double, finalCycle: Int) {
        self.initialOhms = initialOhms
        self.finalOhms = finalOhms
        self.finalCycle = finalCycle
    }

    public static func perCycle(initialOhms: Double, ohmsPerCycle: Double) -> CellResistanceLaw {
        CellResistanceLaw(initialOhms: initialOhms, finalOhms: initialOhms + ohmsPerCycle, finalCycle: 2)
    }

    public func ohms(cycle n: Int) -> Double {
        guard finalCycle > 1 else { return initialOhms }
        return initialOhms + (finalOhms - initialOhms) * Double(n - 1) / Double(finalCycle - 1)
    }
}

/// Shorts in parallel with a full cell (docs/detectors.md §7.3).
public enum FullCellFault: Sendable, Hashable {
    /// Transient dendrite contacts from cycle `fromCycle`: Poisson `ratePerHour`, each lasting
    /// Exp(mean), R_sh ~ U(lower, upper)·R(N).
    case transientContacts(fromCycle: Int, ratePerHour: Double, meanDurationSeconds: Double, lowerResistanceMultiple: Double, upperResistanceMultiple: Double)
    /// A leak that conducts only while the cell charges.
    case chargeLeak(fromCycle: Int, ohms: Double)
    /// A constant micro-short (self-discharge).
    case constantLeak(fromCycle: Int, ohms: Double)
    /// A leak whose conductance grows by `siemensPerCycle` every cycle from `fromCycle` on: a
    /// slow coulombic-efficiency drift (accelerated side reactions before a knee).
    case growingLeak(fromCycle: Int, siemensPerCycle: Double)
    /// A hard short: R_sh = fraction·R(N) from `atTestTimeSeconds` on.
    case hardShort(atTestTimeSeconds: Double, resistanceFraction: Double)
}
