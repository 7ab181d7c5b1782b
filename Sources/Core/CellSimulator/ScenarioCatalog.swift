import CellModel

/// The labelled scenarios of docs/detectors.md §8.2 (names "1" … "12", variants "2b" and "6b") and
/// the reference paper's study (`paper-*`), with their expected detector outcomes.
public enum ScenarioCatalog {
    public static var all: [ScenarioPreset] { scenarios + paperStudy + extras }

    /// The twelve labelled scenarios and their variants, in table order.
    public static let scenarios: [ScenarioPreset] = [
        coatedLongRun(), noisyHealthy(), noisyHealthyVariant(), rateTest(), bareBlowUp(), hardShort(),
        intermittentSoftShort(variant: false), intermittentSoftShort(variant: true), decliningOverpotential(),
        criticalCurrentRamp(), coatedFullCellNoisy(), bareFullCellKnee(), fullCellSoftShort(), fullCellSelfDischarge(),
    ]

    /// The reference paper's experiments.
    public static let paperStudy: [ScenarioPreset] = [
        paperSymmetric(coated: false, arealCapacity: 0.1), paperSymmetric(coated: false, arealCapacity: 0.5),
        paperSymmetric(coated: false, arealCapacity: 1.0),
        paperSymmetric(coated: true, arealCapacity: 0.1), paperSymmetric(coated: true, arealCapacity: 0.5),
        paperSymmetric(coated: true, arealCapacity: 1.0),
        paperRateTest(), paperFullCell(coated: true), paperFullCell(coated: false), paperRateCapability(),
    ]

    /// Beyond the table (docs/detectors.md §8.4): healthy cells with the other artefacts of §7.4, and
    /// four of the scenarios §10 lists (√t growth for P5, a full-cell hard short for H2, a slow
    /// CE drift for the S6 warning, an oven excursion for the thermal flags). Their
    /// windows follow from the rule definitions but were not in the reference calibration.
    public static let extras: [ScenarioPreset] = [
        conditioningDecline(), healthyWithArtefacts(), squareRootGrowth(), fullCellHardShort(), coulombicEfficiencyDrift(),
        ovenExcursion(),
    ]

    /// Group names and their members: `scenarios`, `paper`, `extras`, `all`.
    public static var groups: [String: [ScenarioPreset]] {
        ["scenarios": scenarios, "paper": paperStudy, "extras": extras, "all": all]
    }

    /// A preset by name or alias (case-insensitive).
    public static func preset(named name: String) -> ScenarioPreset? {
        let key = name.lowercased()
        return all.first { $0.name.lowercased() == key || $0.aliases.contains { $0.lowercased() == key } }
    }

    /// The presets of a group, or the one preset of that name, or nil.
    public static func presets(named name: String) -> [ScenarioPreset]? {
        if let group = groups[name.lowercased()] { return group }
        return preset(named: name).map { [$0] }
    }

    // MARK: - shared pieces

    static let dieAreaSquareCentimeters = 0.785
    static let hour = 3600.0
    static let coatedLaw = AreaResistanceLaw.conditioning(plateau: 2000, drop: 500, timeConstantHours: 50, driftPerHour: 0.1)
    static let bareLaw = AreaResistanceLaw.exponential(initial: 1000, eFoldHours: 60)
    static let rateTestLaw = AreaResistanceLaw.constant(413)
    static let rateTestKnee = 0.49
    static let clampVolts = 5.0

    static func symmetricCell(_ name: String, coated: Bool) -> CellMetadata {
        CellMetadata(
            cellID: "sim-\(name)", cellType: .symmetric,
            electrodeAreaSquareMeters: dieAreaSquareCentimeters * 1e-4,
            attributes: ["coating": coated ? "LiAlO2" : "none", "electrolyte": "LGPS", "simulated": "true"]
        )
    }

    static func fullCell(_ name: String, coated: Bool, parameters: FullCellParameters) -> CellMetadata {
        CellMetadata(
            cellID: "sim-\(name)", cellType: .full,
            electrodeAreaSquareMeters: dieAreaSquareCentimeters * 1e-4,
            activeMassKilograms: parameters.cathodeMassKilograms,
            nominalCapacityAmpHours: parameters.nominalCapacityAmpHours,
            attributes: ["coating": coated ? "LiAlO2" : "none", "electrolyte": "LGPS", "cathode": "LiCoO2@LiNbO3", "simulated": "true"]
        )
    }

    static func tenthMilliampStage(halfCycleHours: Double) -> [SymmetricCurrentStage] {
        [SymmetricCurrentStage(currentDensityMilliampsPerSquareCentimeter: 0.1, halfCycleSeconds: halfCycleHours * hour, halfCycles: nil)]
    }

    static func symmetric(
        name: String, aliases: [String], summary: String, coated: Bool,
        parameters: SymmetricCellParameters, artefacts: InstrumentArtefacts,
        hours: Double, intervalSeconds: Double, expectation: ScenarioExpectation
    ) -> ScenarioPreset {
        ScenarioPreset(
            name: name, aliases: aliases, summary: summary, cell: symmetricCell(name, coated: coated),
            voltageClampVolts: clampVolts, durationSeconds: hours * hour, sampleIntervalSeconds: intervalSeconds,
            expectation: expectation, model: .symmetric(parameters), artefacts: artefacts
        )
    }

    /// An upper bound on a full-cell run: every step at its time limit. The run itself ends with
    /// its last programmed cycle.
    static func fullCellDurationBound(_ parameters: FullCellParameters) -> Double {
        var seconds = 0.0
        for stage in parameters.protocolStages {
            let cycles = Double(stage.cycles ?? 1000)
            seconds += cycles * (2 * parameters.stepTimeLimitFactor * hour / stage.cRate + 2 * parameters.restSeconds)
        }
        return seconds
    }

    static func full(
        name: String, aliases: [String], summary: String, coated: Bool,
        parameters: FullCellParameters, artefacts: InstrumentArtefacts,
        intervalSeconds: Double, expectation: ScenarioExpectation
    ) -> ScenarioPreset {
        ScenarioPreset(
            name: name, aliases: aliases, summary: summary, cell: fullCell(name, coated: coated, parameters: parameters),
            voltageClampVolts: nil, durationSeconds: fullCellDurationBound(parameters), sampleIntervalSeconds: intervalSeconds,
            expectation: expectation, model: .full(parameters), artefacts: artefacts
        )
    }

    static let shortRules: Set<String> = ["H1", "S1", "S2", "S3"]
    /// "No short alarms" on a full cell: the full-cell short rules plus the symmetric ones.
    static let fullCellShortRules: Set<String> = ["H1", "H2", "S1", "S2", "S3", "S4", "S5", "S7"]

    // MARK: - symmetric scenarios (docs/detectors.md §8.2 #1–#8)

    static func coatedLongRun() -> ScenarioPreset {
        symmetric(
            name: "1", aliases: ["coated-long-run"],
            summary: "Coated LiAlO2-Li, 0.1 mA/cm², 1-h half-cycles, 3000 h: 150 → 200 mV, healthy",
            coated: true,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 3000, intervalSeconds: 60,
            expectation: ScenarioExpectation(healthy: true, verdict: "HEALTHY; censored at 3000 h")
        )
    }

    static let noisyGaps = [LoggingGap.hours(200, 200.5), LoggingGap.hours(600, 602)]

    static func noisyHealthy() -> ScenarioPreset {
        symmetric(
            name: "2", aliases: ["noisy-healthy"],
            summary: "Noisy but healthy coated cell, 5-h half-cycles, σ 5 mV, ±40 mV glitches, ±2 °C, logging gaps",
            coated: true,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 5), resistanceLaw: coatedLaw),
            artefacts: InstrumentArtefacts(
                noiseSigmaVolts: 0.005, glitchAmplitudeVolts: 0.040, glitchProbability: 1e-3,
                temperatureSwingCelsius: 2, loggingGaps: noisyGaps
            ),
            hours: 1000, intervalSeconds: 10,
            expectation: ScenarioExpectation(healthy: true)
        )
    }

    static func noisyHealthyVariant() -> ScenarioPreset {
        symmetric(
            name: "2b", aliases: ["noisy-healthy-60s"],
            summary: "Variant of #2 logged every 60 s: σ 10 mV, ±60 mV glitches at 2e-3, ±3 °C",
            coated: true,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 5), resistanceLaw: coatedLaw),
            artefacts: InstrumentArtefacts(
                noiseSigmaVolts: 0.010, glitchAmplitudeVolts: 0.060, glitchProbability: 2e-3,
                temperatureSwingCelsius: 3, loggingGaps: noisyGaps
            ),
            hours: 1000, intervalSeconds: 60,
            expectation: ScenarioExpectation(healthy: true)
        )
    }

    static func rateTestStages() -> [SymmetricCurrentStage] {
        [0.1, 0.25, 0.5, 1.0, 0.1].map {
            SymmetricCurrentStage(currentDensityMilliampsPerSquareCentimeter: $0, halfCycleSeconds: hour, halfCycles: 10)
        }
    }

    static func rateTestParameters() -> SymmetricCellParameters {
        SymmetricCellParameters(protocolStages: rateTestStages(), resistanceLaw: rateTestLaw, currentKneeMilliampsPerSquareCentimeter: rateTestKnee)
    }

    static func rateTest() -> ScenarioPreset {
        symmetric(
            name: "3", aliases: ["rate-test"],
            summary: "Rate test: 5 cycles each at 0.1, 0.25, 0.5, 1.0, then 0.1 mA/cm²; η ≈ 43/130/422/2134 mV",
            coated: true, parameters: rateTestParameters(), artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 50, intervalSeconds: 10,
            expectation: ScenarioExpectation(healthy: true, forbiddenRules: ["P1", "P2", "P3"])
        )
    }

    static func bareBlowUp() -> ScenarioPreset {
        symmetric(
            name: "4", aliases: ["bare-blow-up", "bare-li-blow-up"],
            summary: "Bare Li: ASR = 1000·e^(t/60 h), 1-h half-cycles, 300 h: polarization blow-up, 5 V clamp at ≈ 229 h",
            coated: false,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: bareLaw),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 300, intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.hours(["P1"], 45, 60), .hours(["P2"], 100, 112), .hours(["P4"], 225, 240)],
                rulesQuietBefore: [RuleQuietPeriod(rules: shortRules, beforeTestTimeSeconds: 100 * hour)],
                verdict: "FAIL_POLARIZATION"
            )
        )
    }

    /// 17 minutes into the half-cycle that starts at 400 h.
    static let hardShortSeconds = 400 * hour + 17 * 60

    static func hardShort() -> ScenarioPreset {
        let interval = 10.0
        return symmetric(
            name: "5", aliases: ["hard-short"],
            summary: "Coated cell #1 with a 5 Ω·cm² hard short at 400.283 h (17 min into a half-cycle)",
            coated: true,
            parameters: SymmetricCellParameters(
                protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw,
                faults: [.hardShort(atSeconds: hardShortSeconds, areaResistance: 5)]
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 410, intervalSeconds: interval,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [ExpectedAlert(
                    rules: ["H1"], earliestTestTimeSeconds: hardShortSeconds,
                    latestTestTimeSeconds: hardShortSeconds + max(3 * interval, 20) + interval
                )],
                quietBeforeTestTimeSeconds: hardShortSeconds,
                verdict: "HARD_SHORT at 400.28 h"
            )
        )
    }

    static func intermittentSoftShort(variant: Bool) -> ScenarioPreset {
        let interval = variant ? 60.0 : 10.0
        return symmetric(
            name: variant ? "6b" : "6", aliases: [variant ? "soft-short-60s" : "soft-short"],
            summary: "Coated cell #1; intermittent soft shorts from 300 h (λ = 0.5 + 4(t−300)/150 h⁻¹, Exp(8 min)), hard short at 450 h"
                + (variant ? "; logged every 60 s" : ""),
            coated: true,
            parameters: SymmetricCellParameters(
                protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw,
                faults: [
                    .intermittentSoftShort(
                        startSeconds: 300 * hour, baseRatePerHour: 0.5, rateRampPerHourSquared: 4.0 / 150,
                        meanDurationSeconds: 8 * 60, lowerResistanceFraction: 0.1, upperResistanceFraction: 0.5
                    ),
                    .hardShort(atSeconds: 450 * hour, areaResistance: 5),
                ]
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 460, intervalSeconds: interval,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.hours(["S1", "S2"], 300, 310), .hours(["H1"], 450.00, variant ? 450.05 : 450.02)],
                quietBeforeTestTimeSeconds: 300 * hour,
                verdict: "SOFT_SHORT_SUSPECT, then HARD_SHORT"
            )
        )
    }

    static func decliningOverpotential() -> ScenarioPreset {
        symmetric(
            name: "7", aliases: ["declining-overpotential"],
            summary: "Coated cell #1; η falls 200 → 60 mV over 500–600 h through a growing leak, noise ×3",
            coated: true,
            parameters: SymmetricCellParameters(
                protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw,
                faults: [.decliningOverpotential(startSeconds: 500 * hour, endSeconds: 600 * hour, finalFraction: 0.3, noiseMultiplier: 3)]
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 650, intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.hours(["S3"], 565, 585)],
                forbiddenRules: ["P1", "P2", "P3", "P4"],
                quietBeforeTestTimeSeconds: 550 * hour,
                verdict: "SOFT_SHORT_SUSPECT (decline)"
            )
        )
    }

    /// 10 h 40 min: during the 0.6 mA/cm² step.
    static let criticalCurrentShortSeconds = 10 * hour + 40 * 60

    static func criticalCurrentRamp() -> ScenarioPreset {
        let stages = (1...10).map {
            SymmetricCurrentStage(currentDensityMilliampsPerSquareCentimeter: 0.1 * Double($0), halfCycleSeconds: 0.5 * hour, halfCycles: 4)
        }
        return symmetric(
            name: "8", aliases: ["ccd-ramp", "critical-current-ramp"],
            summary: "CCD ramp: j = 0.1, 0.2 … mA/cm², 2 cycles of 0.5-h half-cycles each; hard short at 10.667 h (0.6 mA/cm²)",
            coated: true,
            parameters: SymmetricCellParameters(
                protocolStages: stages, resistanceLaw: rateTestLaw, currentKneeMilliampsPerSquareCentimeter: rateTestKnee,
                faults: [.hardShort(atSeconds: criticalCurrentShortSeconds, areaResistance: 5)]
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 12, intervalSeconds: 10,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [ExpectedAlert(rules: ["H1"], earliestTestTimeSeconds: criticalCurrentShortSeconds, latestTestTimeSeconds: 10.680 * hour)],
                forbiddenRules: ["P1", "P2", "P3"],
                verdict: "HARD_SHORT; CCD = 0.6 mA/cm², max sustained 0.5, CAC ≈ 3.4 mAh/cm²"
            )
        )
    }

    // MARK: - full-cell scenarios (docs/detectors.md §8.2 #9–#12)

    static func coatedFullCellParameters(cycles: Int, scatter: Double) -> FullCellParameters {
        FullCellParameters(
            protocolStages: [FullCellStage(cRate: 0.1, cycles: cycles)],
            usableFraction: .linear(initial: 0.943, fadePerCycle: 0.0006), usableFractionScatter: scatter,
            resistance: CellResistanceLaw(initialOhms: 40, finalOhms: 581, finalCycle: 96)
        )
    }

    static func bareFullCellParameters(cycles: Int, floorFraction: Double) -> FullCellParameters {
        FullCellParameters(
            protocolStages: [FullCellStage(cRate: 0.1, cycles: cycles)],
            usableFraction: .knee(initial: 0.943, flatCycles: 5, fadePerCycleAfter: 0.045, floorFraction: floorFraction),
            resistance: CellResistanceLaw(initialOhms: 52, finalOhms: 1726, finalCycle: 96)
        )
    }

    static func coatedFullCellNoisy() -> ScenarioPreset {
        full(
            name: "9", aliases: ["coated-full-cell", "full-cell-healthy"],
            summary: "Coated full cell, 0.1C, 3.0–4.2 V, 96 cycles: f(N) = 0.943(1 − 0.0006(N−1))(1 + N(0, 0.003)), R 40 → 581 Ω, σ 2 mV, ±1 °C",
            coated: true, parameters: coatedFullCellParameters(cycles: 96, scatter: 0.003),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.002, temperatureSwingCelsius: 1),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: true, allowedOnHealthy: ["R1"],
                verdict: "HEALTHY at 96 cycles: SOH(96) = 0.89 ± 0.01; censored at 96; predicted EOL ≈ cycle 175"
            )
        )
    }

    static func bareFullCellKnee() -> ScenarioPreset {
        full(
            name: "10", aliases: ["bare-full-cell-knee", "full-cell-knee"],
            summary: "Bare-Li full cell: f = 0.943 to cycle 5, then ×(1 − 0.045(N−5)); R 52 → 1726 Ω; 20 cycles",
            coated: false, parameters: bareFullCellParameters(cycles: 20, floorFraction: 0.05),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.cycles(["E2"], 6, 8), .cycles(["E1"], 10, 11)],
                forbiddenRules: fullCellShortRules,
                verdict: "KNEE then EOL (first crossing cycle 10, confirmed 11)"
            )
        )
    }

    static func shortingBaseParameters(cycles: Int, faults: [FullCellFault]) -> FullCellParameters {
        FullCellParameters(
            protocolStages: [FullCellStage(cRate: 0.1, cycles: cycles)],
            usableFraction: .linear(initial: 1.0, fadePerCycle: 0.00116),
            resistance: .perCycle(initialOhms: 40, ohmsPerCycle: 5.7),
            faults: faults
        )
    }

    static func fullCellSoftShort() -> ScenarioPreset {
        full(
            name: "11", aliases: ["full-cell-soft-short"],
            summary: "Full cell; from cycle 30 transient contacts (U(5, 50)·R, 6 h⁻¹, Exp(60 s)) and a 60 kΩ leak during charge",
            coated: true,
            parameters: shortingBaseParameters(cycles: 31, faults: [
                .transientContacts(fromCycle: 30, ratePerHour: 6, meanDurationSeconds: 60, lowerResistanceMultiple: 5, upperResistanceMultiple: 50),
                .chargeLeak(fromCycle: 30, ohms: 60_000),
            ]),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 10,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [
                    ExpectedAlert(rules: ["S4"], earliestCycle: 30, latestCycle: 30, earliestSecondsIntoCycle: 0, latestSecondsIntoCycle: hour),
                    ExpectedAlert(rules: ["S5"], earliestCycle: 30, latestCycle: 30, earliestSecondsIntoCycle: 13 * hour, latestSecondsIntoCycle: 14 * hour),
                    .cycles(["S6"], 30, 31),
                ],
                quietBeforeCycle: 30,
                verdict: "SOFT_SHORT_SUSPECT → CHARGE_RUNAWAY → CE_COLLAPSE"
            )
        )
    }

    static func fullCellSelfDischarge() -> ScenarioPreset {
        full(
            name: "12", aliases: ["full-cell-self-discharge", "micro-short"],
            summary: "Full cell; from cycle 20 a constant 300 kΩ micro-short (≈ 15 % leak at 0.1C, CE ≈ 0.7)",
            coated: true,
            parameters: shortingBaseParameters(cycles: 24, faults: [.constantLeak(fromCycle: 20, ohms: 300_000)]),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.cycles(["S7"], 20, 20), .cycles(["S6"], 20, 21)],
                forbiddenRules: ["S5"],
                quietBeforeCycle: 20,
                verdict: "SELF_DISCHARGE, then CE_COLLAPSE"
            )
        )
    }

    // MARK: - docs/detectors.md §7.4 artefacts on healthy cells

    static func conditioningDecline() -> ScenarioPreset {
        symmetric(
            name: "conditioning-decline", aliases: [],
            summary: "Healthy coated cell whose η falls 250 → 200 mV over the first 50 h (conditioning), 600 h",
            coated: true,
            parameters: SymmetricCellParameters(
                protocolStages: tenthMilliampStage(halfCycleHours: 1),
                resistanceLaw: .conditioning(plateau: 2000, drop: -500, timeConstantHours: 50, driftPerHour: 0.1)
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 600, intervalSeconds: 60,
            expectation: ScenarioExpectation(healthy: true, verdict: "HEALTHY (a 20 % conditioning decline is not a short)")
        )
    }

    static func healthyWithArtefacts() -> ScenarioPreset {
        symmetric(
            name: "healthy-artefacts", aliases: [],
            summary: "Healthy coated cell with glitches, ±2 °C, 30-min and 2-h logging gaps, 60 → 10 s logging at 200 h and a channel restart at 300 h",
            coated: true,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw),
            artefacts: InstrumentArtefacts(
                noiseSigmaVolts: 0.002, glitchAmplitudeVolts: 0.030, glitchProbability: 1e-3, temperatureSwingCelsius: 2,
                loggingGaps: [.hours(120.2, 120.7), .hours(250.5, 252.5)],
                sampleIntervalChanges: [SampleIntervalChange(fromTestTimeSeconds: 200 * hour, sampleIntervalSeconds: 10)],
                channelRestart: ChannelRestart(atTestTimeSeconds: 300.4 * hour, cycleIndexJump: 50)
            ),
            hours: 400, intervalSeconds: 60,
            expectation: ScenarioExpectation(healthy: true, allowedOnHealthy: ["Q1"], verdict: "HEALTHY (data-quality notes allowed)")
        )
    }

    static func ovenExcursion() -> ScenarioPreset {
        symmetric(
            name: "oven-excursion", aliases: [],
            summary: "Healthy coated cell; the oven steps +8 °C for 4 h at 100 h (η drops ≈ 26 % meanwhile), 200 h",
            coated: true,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: 1), resistanceLaw: coatedLaw),
            artefacts: InstrumentArtefacts(
                noiseSigmaVolts: 0.0005,
                temperatureExcursions: [TemperatureExcursion(startSeconds: 100 * hour, endSeconds: 104 * hour, deltaCelsius: 8)]
            ),
            hours: 200, intervalSeconds: 60,
            expectation: ScenarioExpectation(healthy: true, allowedOnHealthy: ["Q1"], verdict: "HEALTHY (thermal notes allowed)")
        )
    }

    static func squareRootGrowth() -> ScenarioPreset {
        symmetric(
            name: "sqrt-growth", aliases: ["wenzel-growth"],
            summary: "Bare Li with Wenzel-type interphase growth ASR = 1000(1 + 0.4√t), 1-h half-cycles, 600 h: slow, √t-shaped rise",
            coated: false,
            parameters: SymmetricCellParameters(
                protocolStages: tenthMilliampStage(halfCycleHours: 1),
                resistanceLaw: .squareRoot(initial: 1000, coefficientPerRootHour: 0.4)
            ),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 600, intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                // η/η_ref crosses 2 at ≈ 61 h and 5 at ≈ 539 h (η_ref at ≈ 7 h); plus debounce.
                expectedAlerts: [.hours(["P1"], 55, 75), .hours(["P2"], 530, 560)],
                forbiddenRules: shortRules,
                verdict: "FAIL_POLARIZATION (slow √t growth)"
            )
        )
    }

    /// Mid-charge of cycle 8 of the coated full cell (cycle 8 starts at ≈ 168.5 h).
    static let fullCellHardShortSeconds = 175 * hour

    static func fullCellHardShort() -> ScenarioPreset {
        var parameters = coatedFullCellParameters(cycles: 10, scatter: 0)
        parameters.faults = [.hardShort(atTestTimeSeconds: fullCellHardShortSeconds, resistanceFraction: 0.5)]
        return full(
            name: "full-cell-hard-short", aliases: [],
            summary: "Coated full cell with a hard short (R_sh = 0.5·R) at 175 h, in the cycle-8 charge",
            coated: true, parameters: parameters,
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                // ≥ 3 samples and ≥ 30 s below 2.0 V after median-of-3: a few samples at 60 s.
                expectedAlerts: [ExpectedAlert(rules: ["H2"], earliestTestTimeSeconds: fullCellHardShortSeconds, latestTestTimeSeconds: fullCellHardShortSeconds + 6 * 60)],
                quietBeforeTestTimeSeconds: fullCellHardShortSeconds,
                verdict: "HARD_SHORT"
            )
        )
    }

    static func coulombicEfficiencyDrift() -> ScenarioPreset {
        var parameters = coatedFullCellParameters(cycles: 40, scatter: 0)
        parameters.faults = [.growingLeak(fromCycle: 11, siemensPerCycle: 2.3e-8)]
        return full(
            name: "ce-drift", aliases: ["coulombic-efficiency-drift"],
            summary: "Coated full cell whose CE drifts down ≈ 0.22 points per cycle from cycle 11 (a growing leak), 40 cycles",
            coated: true, parameters: parameters,
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                // The 10-cycle mean CE falls 2 points below the cycles-3–7 baseline at cycle 24;
                // CE itself stays above 0.90 (no S6 FAIL) through cycle 40.
                expectedAlerts: [.cycles(["S6"], 23, 26)],
                forbiddenRules: ["S5", "H2"],
                quietBeforeCycle: 11,
                verdict: "CE drift (S6 WARN)"
            )
        )
    }

    // MARK: - the reference paper's study

    static func arealLabel(_ arealCapacity: Double) -> String {
        arealCapacity == 1.0 ? "1.0" : "\(arealCapacity)"
    }

    static func paperSymmetric(coated: Bool, arealCapacity: Double) -> ScenarioPreset {
        let label = arealLabel(arealCapacity)
        let halfCycleHours = arealCapacity / 0.1
        let name = "paper-sym-\(coated ? "coated" : "bare")-\(label)"
        if coated {
            let hours = PaperStudy.coatedSymmetricHoursByArealCapacity.first { $0.arealCapacity == arealCapacity }?.hours ?? 1000
            return symmetric(
                name: name, aliases: [],
                summary: "Paper Fig. 5: Li@LiAlO2 | LGPS | Li@LiAlO2 at 0.1 mA/cm², \(label) mAh/cm² per half-cycle, \(Int(hours)) h at ≈ 200 mV",
                coated: true,
                parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: halfCycleHours), resistanceLaw: coatedLaw),
                artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
                hours: hours, intervalSeconds: 60,
                expectation: ScenarioExpectation(healthy: true, verdict: "HEALTHY; censored at \(Int(hours)) h")
            )
        }
        return symmetric(
            name: name, aliases: [],
            summary: "Paper Fig. 5: bare Li | LGPS | Li at 0.1 mA/cm², \(label) mAh/cm² per half-cycle: overpotential blows up (5 V clamp ≈ 229 h)",
            coated: false,
            parameters: SymmetricCellParameters(protocolStages: tenthMilliampStage(halfCycleHours: halfCycleHours), resistanceLaw: bareLaw),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.0005),
            hours: 300, intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                // ASR reaches the 10 kΩ·cm² P3 cap (1 V) at 138 h; long half-cycles average it later.
                expectedAlerts: [.hours(["P2", "P3", "P4"], nil, 180)],
                forbiddenRules: ["H1"],
                verdict: "FAIL_POLARIZATION"
            )
        )
    }

    static func paperRateTest() -> ScenarioPreset {
        var preset = rateTest()
        preset.name = "paper-sym-rate"
        preset.aliases = []
        preset.cell = symmetricCell(preset.name, coated: true)
        preset.summary = "Paper Fig. 5d: coated symmetric rate test at 0.1/0.25/0.5/1.0 mA/cm² (43 → 2134 mV), same as scenario 3"
        return preset
    }

    static func paperFullCell(coated: Bool) -> ScenarioPreset {
        if coated {
            return full(
                name: "paper-full-coated", aliases: [],
                summary: "Paper Fig. 6c: Li@LiAlO2 | LGPS | LCO@LNO at 0.1C for 96 cycles: ≈ 130 → 115 mAh/g (89 %), R 40 → 581 Ω",
                coated: true, parameters: coatedFullCellParameters(cycles: 96, scatter: 0.003),
                artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
                intervalSeconds: 60,
                expectation: ScenarioExpectation(healthy: true, allowedOnHealthy: ["R1"], verdict: "HEALTHY at 96 cycles (SOH 0.89)")
            )
        }
        return full(
            name: "paper-full-bare", aliases: [],
            summary: "Paper Fig. 6c: bare Li | LGPS | LCO@LNO at 0.1C for 96 cycles: rapid decay after 5 cycles, R 52 → 1726 Ω",
            coated: false, parameters: bareFullCellParameters(cycles: 96, floorFraction: 0.15),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: false,
                expectedAlerts: [.cycles(["E2"], 6, 8), .cycles(["E1"], 10, 11)],
                forbiddenRules: fullCellShortRules,
                verdict: "KNEE then EOL"
            )
        )
    }

    /// The C-rates of the paper's rate-capability test, in protocol order (5 cycles each, then
    /// back to 0.1C).
    public static let rateCapabilityProtocol: [FullCellStage] = [
        FullCellStage(cRate: 0.1, cycles: 5), FullCellStage(cRate: 0.2, cycles: 5), FullCellStage(cRate: 0.5, cycles: 5),
        FullCellStage(cRate: 1.0, cycles: 5), FullCellStage(cRate: 0.1, cycles: 5),
    ]

    static func rateCapabilityParameters(multipliers: [RateMultiplier], stages: [FullCellStage]) -> FullCellParameters {
        FullCellParameters(
            protocolStages: stages,
            usableFraction: .linear(initial: 0.943, fadePerCycle: 0),
            resistance: CellResistanceLaw(initialOhms: 40, finalOhms: 40, finalCycle: 1),
            rateCapacityMultipliers: multipliers
        )
    }

    static func paperRateCapability() -> ScenarioPreset {
        full(
            name: "paper-rate-capability", aliases: ["rate-capability"],
            summary: "Paper Fig. 6d: coated full cell, 5 cycles each at 0.1/0.2/0.5/1C, then 0.1C: 130/121/105/83 mAh/g",
            coated: true,
            parameters: rateCapabilityParameters(multipliers: RateCapabilityCalibration.multipliers, stages: rateCapabilityProtocol),
            artefacts: InstrumentArtefacts(noiseSigmaVolts: 0.001),
            intervalSeconds: 60,
            expectation: ScenarioExpectation(
                healthy: true, allowedOnHealthy: ["R1"],
                verdict: "HEALTHY (capacity is compared only within one C-rate, §5.1)"
            )
        )
    }
}
