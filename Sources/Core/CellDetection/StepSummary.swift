/// What the segmenter derived a step to be. Symmetric cells use charge/discharge for the two
/// current directions (which electrode strips), full cells for the usual meaning.
public enum StepKind: String, Sendable, Hashable, Codable {
    case rest, charge, discharge

    public var isActive: Bool { self != .rest }
}

/// One step closed by the segmenter (docs/detectors.md §3.3): running sums, extremes and plateau statistics.
/// Capacities in Ah, energies in Wh, voltages in V.
public struct StepSummary: Sendable, Hashable, Codable {
    public var stepNumber: Int
    public var kind: StepKind
    public var cycle: Int
    public var startTestTimeSeconds: Double
    public var endTestTimeSeconds: Double
    public var durationSeconds: Double { endTestTimeSeconds - startTestTimeSeconds }
    /// The step's current level, |I| at its start.
    public var levelAmperes: Double
    public var capacityAmpHours: Double
    public var energyWattHours: Double
    /// E/Q: the mean voltage of the step (|V| for symmetric cells).
    public var meanVoltageVolts: Double? { capacityAmpHours > 0 ? energyWattHours / capacityAmpHours : nil }
    public var startVoltageVolts: Double
    public var endVoltageVolts: Double
    public var sampleCount: Int
    /// Plateau statistics on the deglitched |V| after the transient skip (η_plat, noise, …).
    public var plateauMeanAbsVoltageVolts: Double?
    public var maxAbsVoltageVolts: Double
    public var endAbsVoltageVolts: Double
    public var nucleationSpikeVolts: Double?
    /// Mean |second difference| of the deglitched voltage over the plateau.
    public var plateauNoiseVolts: Double?
    public var temperatureMinCelsius: Double?
    public var temperatureMaxCelsius: Double?
    public var temperatureMeanCelsius: Double?
}

/// One cycle (docs/detectors.md §3.2–§3.3). For symmetric cells "charge" and "discharge" are the two
/// half-cycles, and their plateau overpotentials are reported.
///
/// Capacities are coulombs counted in the samples (|I| by the trapezoid rule between
/// consecutive samples of one step, not across a step boundary or a logging gap), in the
/// instrument's cycle when the stream carries one. They are not the instrument's counters that
/// `cellfleet inspect` reports (`InstrumentCycleCapacityTally` in CyclerReaders), because a live
/// stream's capacity column is of vendor-specific scope or absent, and the detector's figures
/// must mean the same on every stream; the counter only cross-checks them (Q1). So the two differ
/// where the instrument counted what the samples do not show (before a step's first record,
/// before a file's first record, below the rest threshold); `CycleCapacityAgreementTests` pins
/// the agreement (within 1 % on well-logged files) and each difference.
public struct CycleSummary: Sendable, Hashable, Codable {
    public var cycle: Int
    public var startTestTimeSeconds: Double
    public var endTestTimeSeconds: Double
    public var chargeCapacityAmpHours = 0.0
    public var dischargeCapacityAmpHours = 0.0
    public var chargeEnergyWattHours = 0.0
    public var dischargeEnergyWattHours = 0.0
    public var chargeSeconds = 0.0
    public var dischargeSeconds = 0.0
    public var restSeconds = 0.0
    /// The samples of the cycle's steps.
    public var sampleCount = 0
    /// Discharge over charge. For a full or cathode half cell that is its CE; an anode half cell's
    /// is the inverse, `cellCoulombicEfficiency`.
    public var coulombicEfficiency: Double? {
        chargeCapacityAmpHours > 0 && dischargeCapacityAmpHours > 0 ? dischargeCapacityAmpHours / chargeCapacityAmpHours : nil
    }
    /// CE as the cell's rules judge it — delivered over stored charge: discharge / charge, or an
    /// anode half cell's delithiation / lithiation; set when the cycle is judged (full and half
    /// cells), nil for symmetric cells.
    public var cellCoulombicEfficiency: Double?
    public var energyEfficiency: Double? {
        chargeEnergyWattHours > 0 && dischargeEnergyWattHours > 0 ? dischargeEnergyWattHours / chargeEnergyWattHours : nil
    }
    public var meanChargeVoltageVolts: Double? { chargeCapacityAmpHours > 0 ? chargeEnergyWattHours / chargeCapacityAmpHours : nil }
    public var meanDischargeVoltageVolts: Double? { dischargeCapacityAmpHours > 0 ? dischargeEnergyWattHours / dischargeCapacityAmpHours : nil }
    /// Symmetric cells: plateau overpotential of the positive and negative half-cycles.
    public var chargePlateauOverpotentialVolts: Double?
    public var dischargePlateauOverpotentialVolts: Double?
    /// Symmetric cells: η_plat(+) + η_plat(−).
    public var hysteresisVolts: Double? {
        guard let a = chargePlateauOverpotentialVolts, let b = dischargePlateauOverpotentialVolts else { return nil }
        return a + b
    }
    /// The last DC resistance measured in this cycle (Ω), with the interval it was measured over.
    public var directCurrentResistanceOhms: Double?
    public var stateOfHealth: Double?
    public var temperatureMaxCelsius: Double?
    public var endOfChargeVoltageVolts: Double?
    public var endOfDischargeVoltageVolts: Double?

    public init(cycle: Int, startTestTimeSeconds: Double) {
        self.cycle = cycle
        self.startTestTimeSeconds = startTestTimeSeconds
        self.endTestTimeSeconds = startTestTimeSeconds
    }
}
