import CellModel

/// Finds the per-C-rate capacity multipliers that make the simulated coated full cell deliver the
/// paper's 130/121/105/83 mAh g⁻¹ (docs/detectors.md §7.3: scale f by Q(C)/Q(0.1)). The resistances
/// already cost some capacity at high rate, so the plain fit ratio would overshoot the loss; a
/// few fixed-point passes on a noise-free simulation absorb that. Runs once, on first use.
enum RateCapabilityCalibration {
    static let multipliers: [RateMultiplier] = calibrate()

    static func calibrate() -> [RateMultiplier] {
        PaperStudy.rateCapability.map { point in
            var multiplier = PaperStudy.fittedRateCapacity(cRate: point.cRate) / PaperStudy.fittedRateCapacity(cRate: 0.1)
            for _ in 0..<4 {
                let delivered = steadyDischargeSpecificCapacity(cRate: point.cRate, multiplier: multiplier)
                guard delivered > 0 else { break }
                multiplier *= point.specificCapacity / delivered
            }
            return RateMultiplier(cRate: point.cRate, multiplier: multiplier)
        }
    }

    /// mAh g⁻¹ delivered on the third of three identical cycles at this rate, without noise.
    static func steadyDischargeSpecificCapacity(cRate: Double, multiplier: Double) -> Double {
        let parameters = ScenarioCatalog.rateCapabilityParameters(
            multipliers: [RateMultiplier(cRate: cRate, multiplier: multiplier)],
            stages: [FullCellStage(cRate: cRate, cycles: 3)]
        )
        let preset = ScenarioPreset(
            name: "calibration", summary: "", cell: CellMetadata(cellID: "calibration", cellType: .full),
            voltageClampVolts: nil, durationSeconds: ScenarioCatalog.fullCellDurationBound(parameters),
            sampleIntervalSeconds: 60, expectation: ScenarioExpectation(healthy: true),
            model: .full(parameters), artefacts: InstrumentArtefacts(noiseSigmaVolts: 0, temperatureNoiseCelsius: 0)
        )
        let tally = CycleCapacityTally(CellSimulation(preset: preset, seed: 0))
        guard let last = tally.cycles.last else { return 0 }
        return last.dischargeAmpHours * 1000 / (parameters.cathodeMassKilograms * 1000)
    }
}
