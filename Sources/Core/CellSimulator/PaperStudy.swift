import Foundation

/// The reference paper's published numbers (Chang et al. 2023, LiAlO2-modified Li for
/// LGPS-based all-solid-state batteries), as docs/detectors.md §7.1 uses them. Presets named
/// `paper-*` reproduce them; tests compare simulated output against these constants.
public enum PaperStudy {
    /// Coated symmetric cell: stable for 3000 h at ≈ 200 mV (0.1 mA cm⁻², 0.1 mAh cm⁻²).
    public static let coatedSymmetricOverpotentialVolts = 0.200
    public static let coatedSymmetricStableHours = 3000.0
    /// How long the paper cycled the coated cells at 0.1 / 0.5 / 1.0 mAh cm⁻² per half-cycle.
    public static let coatedSymmetricHoursByArealCapacity: [(arealCapacity: Double, hours: Double)] = [
        (0.1, 3000), (0.5, 2000), (1.0, 1000),
    ]
    /// Rate test: η per current density (mA cm⁻² → V). 0.1 and 1.0 are the paper's; 0.25 and 0.5
    /// are our fit's interpolation, docs/detectors.md §7.1 (the paper's text quotes 191 mV at 0.25 mA cm⁻²).
    public static let rateTestOverpotentials: [(currentDensity: Double, overpotentialVolts: Double)] = [
        (0.1, 0.043), (0.25, 0.130), (0.5, 0.422), (1.0, 2.134),
    ]
    /// Coated full cell at 0.1C: 115 mAh g⁻¹ after 96 cycles, 89 % retention.
    public static let coatedFullCellCycles = 96
    public static let coatedFullCellRetention = 0.89
    public static let coatedFullCellFinalSpecificCapacity = 115.0
    /// Rate capability of the coated full cell (C-rate → mAh g⁻¹).
    public static let rateCapability: [(cRate: Double, specificCapacity: Double)] = [
        (0.1, 130), (0.2, 121), (0.5, 105), (1.0, 83),
    ]
    /// Bare-Li full cell: rapid decay after about 5 cycles.
    public static let bareFullCellKneeCycle = 5
    /// EIS before and after 96 cycles (Ω).
    public static let coatedFullCellImpedanceOhms = (before: 40.0, after: 581.0)
    public static let bareFullCellImpedanceOhms = (before: 52.0, after: 1726.0)

    /// Our fit through the four rate points (docs/detectors.md §7.1): Q(C) = 144.3·(1 − 0.424·C^0.619).
    public static func fittedRateCapacity(cRate: Double) -> Double {
        144.3 * (1 - 0.424 * pow(cRate, 0.619))
    }
}
