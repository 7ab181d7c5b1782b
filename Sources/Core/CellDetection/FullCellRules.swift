/// Per-cell state of the full-cell rules (docs/detectors.md §5).
struct FullCellRuleState: Codable, Sendable {
    // H2
    var lowCount = 0
    var lowStart = 0.0
    var watchingDrop = false
    var preDropVoltage = 0.0
    var dropTime = 0.0
    // S4
    var chargeNoiseValues = RecentValues(capacity: 5)
    var chargeNoiseReference = Double.nan
    var s4Active = false
    // S5
    var capacityValues = RecentValues(capacity: 5)
    var capacityReference = Double.nan
    var chargeEndVoltageValues = RecentValues(capacity: 5)
    var chargeEndVoltageReference = Double.nan
    /// The delivering (discharge; an anode half cell's charge) current of the capacity reference.
    var referenceDischargeLevel = Double.nan
    /// Steady cycles delivered at another current since the last at the reference's.
    var offReferenceCycles = 0
    // the open cycle's currents: its first storing and first delivering step (the CC parts)
    var cycleStoreLevel = Double.nan
    var cycleDeliverLevel = Double.nan
    var previousStoreLevel = Double.nan
    var previousDeliverLevel = Double.nan
    /// Consecutive cycles, this one included, at the same charge and discharge currents.
    var steadyCycles = 0
    /// The end of the open cycle's last delivering step, nil until it delivered.
    var lastDelivery: CycleEnd?
    // E1 / E2
    var stateOfHealthWindow = RecentValues(capacity: 5)
    var lastStateOfHealth: Double?
    var lastStateOfHealthCycle = 0
    var e1Streak = 0
    var e1FirstCrossingCycle = 0
    var e2Streak = 0
    var e2Active = false
    // S6
    var s6Streak = 0
    var coulombicEfficiencyBaselineValues = RecentValues(capacity: 5)
    var coulombicEfficiencyBaseline = Double.nan
    var coulombicEfficiencyWindow = RecentValues(capacity: 10)
    var s6WarnActive = false
    // S7 (baselines live in the charge current's bucket)
    var early = RestSlopeSums()
    var late = RestSlopeSums()
    var lastChargeBucket = -1
    var referenceChargeLevel = Double.nan
    var s7Active = false
}

/// Where a cycle's last delivering step ended: the time and state its cycle alerts carry.
struct CycleEnd: Codable, Sendable {
    var timeSeconds: Double
    var voltageVolts: Double
    var currentAmperes: Double
    var levelAmperes: Double
}

/// Running OLS sums of (hours, volts) over one rest window.
struct RestSlopeSums: Codable, Sendable {
    var count = 0.0, sumX = 0.0, sumY = 0.0, sumXY = 0.0, sumXX = 0.0

    mutating func add(hours x: Double, volts y: Double) {
        count += 1
        sumX += x
        sumY += y
        sumXY += x * y
        sumXX += x * x
    }

    /// V/h, or nil with fewer than 3 points.
    var slope: Double? {
        guard count >= 3 else { return nil }
        let denominator = count * sumXX - sumX * sumX
        guard denominator > 0 else { return nil }
        return (count * sumXY - sumX * sumY) / denominator
    }
}

extension CellDetector {
    /// H2 (docs/detectors.md §5.2), S5 (charge runaway, §5.4) and the S7 rest windows (§5.6), per sample.
    @inline(__always)
    mutating func fullCellSampleRules(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard hasOpenStep else { return }
        if isAnodeHalfCell {
            anodeHalfCellShort(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
            return
        }
        // H2, first clause: far below the cell's operating window while not discharging.
        let threshold = h2ThresholdVolts
        if step.kind != .discharge, !(deglitchedVoltage - threshold >= margins.h2VoltageAboveThresholdMin) {
            margins.h2VoltageAboveThresholdMin = deglitchedVoltage - threshold
        }
        if h2LowRun(step.kind != .discharge && deglitchedVoltage < threshold, at: point.time), !hasLatched(.H2) {
            fire(.H2, at: point, evidence: [
                "voltage_volts": deglitchedVoltage, "threshold_volts": threshold,
                "window_minimum_volts": window.minimumVolts, "low_seconds": point.time - fullCell.lowStart,
            ], message: "hard short: voltage far below the operating window", into: &alerts)
        }
        // H2, second clause: a ≥ 0.5 V drop within two samples of one step that does not recover.
        if step.kind != .discharge {
            suddenDrop(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        } else {
            fullCell.watchingDrop = false
        }
        switch step.kind {
        case .charge:
            chargeRunaway(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        case .rest:
            if lastActiveKind == .charge {
                let minutes = (point.time - step.startTime) / 60
                let hours = minutes / 60
                if minutes >= 30, minutes < 75 {
                    fullCell.early.add(hours: hours, volts: deglitchedVoltage)
                } else if minutes >= 75, minutes <= 120 {
                    fullCell.late.add(hours: hours, volts: deglitchedVoltage)
                }
            }
        case .discharge:
            break
        }
    }

    /// H2's first-clause threshold: the window's minimum less the margin, at most `h2Volts`;
    /// −∞ (never) while the window's minimum is unknown.
    @inline(__always) var h2ThresholdVolts: Double {
        window.minimumVolts.isNaN ? -.infinity : min(thresholds.h2Volts, window.minimumVolts - thresholds.h2WindowMarginVolts)
    }

    /// H2's first clause for both cell families: a run of low samples, true once it has lasted
    /// `h2Samples` samples and `h2Seconds`.
    @inline(__always)
    mutating func h2LowRun(_ isLow: Bool, at time: Double) -> Bool {
        guard isLow else {
            fullCell.lowCount = 0
            return false
        }
        if fullCell.lowCount == 0 { fullCell.lowStart = time }
        fullCell.lowCount += 1
        return fullCell.lowCount >= thresholds.h2Samples && time - fullCell.lowStart >= thresholds.h2Seconds
    }

    /// H2's second clause: a ≥ 0.5 V drop within two samples of one step that does not recover.
    @inline(__always)
    mutating func suddenDrop(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        if fullCell.watchingDrop {
            if deglitchedVoltage >= fullCell.preDropVoltage - 0.5 * thresholds.h2DropVolts {
                fullCell.watchingDrop = false
            } else if point.time - fullCell.dropTime >= thresholds.h2RecoverySeconds, !hasLatched(.H2) {
                fullCell.watchingDrop = false
                fire(.H2, at: point, evidence: [
                    "voltage_volts": deglitchedVoltage, "voltage_before_drop_volts": fullCell.preDropVoltage,
                    "seconds_since_drop": point.time - fullCell.dropTime,
                ], message: "hard short: sudden voltage drop that did not recover", into: &alerts)
            }
        } else if !step.secondPreviousDeglitchedVoltage.isNaN {
            let before = max(step.previousDeglitchedVoltage, step.secondPreviousDeglitchedVoltage)
            if before - deglitchedVoltage >= thresholds.h2DropVolts {
                fullCell.watchingDrop = true
                fullCell.preDropVoltage = before
                fullCell.dropTime = point.time
            }
        }
    }

    /// H2 for an anode half cell (docs/detectors.md §5.9): its lithiation ends at a few mV by
    /// design, and its rest after delithiation relaxes fast from a 1.5–3 V cut-off, so only its
    /// delithiation (charge) is judged: a voltage that stays at the lithium potential under
    /// current, or a sudden drop that does not recover, is a short to the counter electrode.
    @inline(__always)
    mutating func anodeHalfCellShort(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard step.kind == .charge else {
            fullCell.lowCount = 0
            fullCell.watchingDrop = false
            return
        }
        let atSetpoint = abs(abs(point.current) - step.levelAmperes) <= thresholds.stepLevelTolerance * step.levelAmperes
        if h2LowRun(atSetpoint && deglitchedVoltage < thresholds.h2AnodeHalfCellVolts, at: point.time), !hasLatched(.H2) {
            fire(.H2, at: point, evidence: [
                "voltage_volts": deglitchedVoltage, "threshold_volts": thresholds.h2AnodeHalfCellVolts,
                "current_amperes": point.current, "low_seconds": point.time - fullCell.lowStart,
            ], message: "hard short: the delithiation stays at the lithium potential", into: &alerts)
        }
        suddenDrop(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
    }

    /// S5 (docs/detectors.md §5.4): the charge goes on past 1.3 × Q_ref (or 1.3 × the expected time) below V_max.
    @inline(__always)
    mutating func chargeRunaway(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard !hasLatched(.S5), hasOpenStep else { return }
        var reference = fullCell.capacityReference
        if reference.isNaN, let nominal = cell.nominalCapacityAmpHours { reference = nominal }
        guard !reference.isNaN, reference > 0 else { return }
        let charged = (cycleSummary?.chargeCapacityAmpHours ?? 0) + step.capacityAmpHours
        let seconds = (cycleSummary?.chargeSeconds ?? 0) + (point.time - step.startTime)
        let expectedSeconds = step.levelAmperes > 0 ? reference / step.levelAmperes * 3600 : .infinity
        let maximum = window.isMaximumGiven ? window.maximumVolts : fullCell.chargeEndVoltageReference
        let belowMaximum = maximum.isNaN || deglitchedVoltage < maximum - 0.005
        if belowMaximum, charged > thresholds.s5Ratio * reference || seconds > thresholds.s5Ratio * expectedSeconds {
            fire(.S5, at: point, evidence: [
                "charge_capacity_amp_hours": charged, "reference_capacity_amp_hours": reference,
                "ratio": charged / reference, "charge_seconds": seconds, "voltage_volts": deglitchedVoltage,
            ], message: "charge runaway: the charge does not reach its end voltage", into: &alerts)
        }
    }

    /// S4 (docs/detectors.md §5.3): negative voltage steps during a CC charge, against the cell's own charge noise.
    @inline(__always)
    mutating func negativeStepsDuringCharge(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        let previous = step.secondLastPlateauVoltage
        guard !previous.isNaN else { return }
        let noise = fullCell.chargeNoiseReference.isNaN ? 0 : fullCell.chargeNoiseReference
        let limit = max(thresholds.s4MinimumStepVolts, thresholds.s4NoiseMultiple * noise)
        if deglitchedVoltage - previous < -limit {
            step.negativeSteps += 1
            if step.negativeSteps >= thresholds.s4Count, !fullCell.s4Active {
                fullCell.s4Active = true
                fire(.S4, at: point, evidence: [
                    "negative_steps": Double(step.negativeSteps), "step_volts": deglitchedVoltage - previous,
                    "threshold_volts": limit,
                ], message: "soft short suspected: voltage drops during CC charge", into: &alerts)
            }
        }
    }

    /// Step close for full cells: S4's noise reference and episode, S7 at the end of a post-charge rest.
    mutating func closeFullCellStep(_ closing: StepAccumulator, nextKind: StepKind, into alerts: inout [Alert]) {
        if closing.kind == storingKind, fullCell.cycleStoreLevel.isNaN { fullCell.cycleStoreLevel = closing.levelAmperes }
        if closing.kind == deliveringKind, fullCell.cycleDeliverLevel.isNaN { fullCell.cycleDeliverLevel = closing.levelAmperes }
        // S4 and S7 judge a cathode's charge and the rest after it; an anode half cell has neither (§5.9).
        guard !isAnodeHalfCell else { return }
        switch closing.kind {
        case .charge:
            let maximum = window.isMaximumGiven ? window.maximumVolts : fullCell.chargeEndVoltageReference
            // S5 judges only a charge that stops short of the end voltage.
            if fullCell.capacityReference > 0, maximum.isNaN || closing.lastVoltage < maximum - 0.005 {
                let charged = (cycleSummary?.chargeCapacityAmpHours ?? 0) + closing.capacityAmpHours
                margins.s5ChargeRatioMax = RuleMargins.larger(margins.s5ChargeRatioMax, charged / fullCell.capacityReference)
            }
            if closing.cycle <= thresholds.s4ReferenceCycles, let noise = closing.plateauNoise, !fullCell.chargeNoiseValues.isFull {
                fullCell.chargeNoiseValues.append(noise)
                fullCell.chargeNoiseReference = MedianOfFew.median(fullCell.chargeNoiseValues.values)!
            }
            if closing.negativeSteps < thresholds.s4Count, fullCell.s4Active {
                fullCell.s4Active = false
                endEpisode(.S4, at: closing.lastTime)
            }
            fullCell.lastChargeBucket = closing.bucketIndex
            if fullCell.referenceChargeLevel.isNaN { fullCell.referenceChargeLevel = closing.levelAmperes }
        case .rest:
            if lastActiveKind == .charge { closePostChargeRest(closing, into: &alerts) }
            fullCell.early = RestSlopeSums()
            fullCell.late = RestSlopeSums()
        case .discharge:
            break
        }
    }

    /// S7 (docs/detectors.md §5.6): late-rest OCV slopes against the cell's own relaxation baseline after a
    /// charge at the same current. The absolute clause (late slope < −20 mV/h) is calibrated for
    /// the test's own C-rate: at other currents it waits for that current's baseline, because a
    /// healthy cell relaxes faster after a faster charge.
    mutating func closePostChargeRest(_ closing: StepAccumulator, into alerts: inout [Alert]) {
        guard let early = fullCell.early.slope, let late = fullCell.late.slope,
              fullCell.lastChargeBucket >= 0, fullCell.lastChargeBucket < buckets.count else { return }
        var bucket = buckets[fullCell.lastChargeBucket]
        defer { buckets[fullCell.lastChargeBucket] = bucket }
        bucket.postChargeRests += 1
        let rest = bucket.postChargeRests
        let baselinesKnown = !bucket.restEarlyBaseline.isNaN
        let atTestRate = !fullCell.referenceChargeLevel.isNaN
            && bucket.contains(fullCell.referenceChargeLevel, relativeWidth: thresholds.bucketRelativeWidth)
        let relative = thresholds.s7RelativeSlopeVoltsPerHour
        let alarm = (baselinesKnown && early - bucket.restEarlyBaseline < -relative && late - bucket.restLateBaseline < -relative)
            || ((baselinesKnown || atTestRate) && late < -thresholds.s7AbsoluteSlopeVoltsPerHour)
        if alarm {
            if !fullCell.s7Active {
                fullCell.s7Active = true
                let at = RawPoint(time: closing.lastTime, voltage: closing.lastVoltage, current: 0, temperature: .nan,
                                  cyclerStep: RawPoint.absent, cyclerCycle: RawPoint.absent, cyclerCapacity: .nan)
                fire(.S7, at: at, evidence: [
                    "early_slope_mv_per_hour": early * 1000, "late_slope_mv_per_hour": late * 1000,
                    "early_baseline_mv_per_hour": bucket.restEarlyBaseline * 1000,
                    "late_baseline_mv_per_hour": bucket.restLateBaseline * 1000,
                ], message: "self-discharge: the rest voltage decays faster than this cell's own relaxation", into: &alerts)
            }
            return
        }
        if fullCell.s7Active {
            fullCell.s7Active = false
            endEpisode(.S7, at: closing.lastTime)
        }
        if rest >= 2, rest <= 6 {
            bucket.restEarlyValues.append(early)
            bucket.restLateValues.append(late)
            if bucket.restEarlyValues.isFull {
                bucket.restEarlyBaseline = MedianOfFew.median(bucket.restEarlyValues.values)!
                bucket.restLateBaseline = MedianOfFew.median(bucket.restLateValues.values)!
            }
        } else if baselinesKnown {
            let alpha = thresholds.s7BaselineSmoothingFactor
            bucket.restEarlyBaseline += alpha * (early - bucket.restEarlyBaseline)
            bucket.restLateBaseline += alpha * (late - bucket.restLateBaseline)
        }
    }

    /// Cycle rules at the end of a full or half cell's cycle (docs/detectors.md §5.5 S6, §5.7 E1, §5.8 E2).
    mutating func closeFullCellCycle(_ summary: inout CycleSummary, delivery: CycleEnd, into alerts: inout [Alert]) {
        let storeLevel = fullCell.cycleStoreLevel
        let level = fullCell.cycleDeliverLevel.isNaN ? delivery.levelAmperes : fullCell.cycleDeliverLevel
        let width = 0.5 * thresholds.bucketRelativeWidth
        let steady = abs(storeLevel - fullCell.previousStoreLevel) <= width * fullCell.previousStoreLevel
            && abs(level - fullCell.previousDeliverLevel) <= width * fullCell.previousDeliverLevel
        fullCell.steadyCycles = steady ? fullCell.steadyCycles + 1 : 1
        fullCell.previousStoreLevel = storeLevel
        fullCell.previousDeliverLevel = level
        fullCell.cycleStoreLevel = .nan
        fullCell.cycleDeliverLevel = .nan
        // An anode half cell's cycle is lithiation (discharge) then delithiation (charge).
        let stored = isAnodeHalfCell ? summary.dischargeCapacityAmpHours : summary.chargeCapacityAmpHours
        let discharged = isAnodeHalfCell ? summary.chargeCapacityAmpHours : summary.dischargeCapacityAmpHours
        guard stored > 0 else { return }
        let at = RawPoint(time: delivery.timeSeconds, voltage: delivery.voltageVolts, current: delivery.currentAmperes, temperature: .nan,
                          cyclerStep: RawPoint.absent, cyclerCycle: RawPoint.absent, cyclerCapacity: .nan)
        let efficiency = discharged / stored
        let cycleNumber = summary.cycle
        summary.cellCoulombicEfficiency = efficiency

        // S6: coulombic efficiency, a relative signal inside one cell, on cycles past formation
        // at steady currents (a rate step changes CE for a cycle or two, docs/detectors.md §5.5).
        if cycleNumber >= thresholds.s6FirstCycle, fullCell.steadyCycles >= thresholds.s6SteadyCycles {
            margins.s6CoulombicEfficiencyMin = RuleMargins.smaller(margins.s6CoulombicEfficiencyMin, efficiency)
            fullCell.s6Streak = efficiency < thresholds.s6CoulombicEfficiency ? fullCell.s6Streak + 1 : 0
            if fullCell.s6Streak >= thresholds.s6Cycles {
                fire(.S6, at: at, cycle: cycleNumber, evidence: [
                    "coulombic_efficiency": efficiency, "threshold": thresholds.s6CoulombicEfficiency,
                    "cycles": Double(fullCell.s6Streak),
                ], message: "coulombic efficiency collapsed", into: &alerts)
            }
            if cycleNumber < thresholds.s6FirstCycle + 5, !fullCell.coulombicEfficiencyBaselineValues.isFull {
                fullCell.coulombicEfficiencyBaselineValues.append(efficiency)
                if fullCell.coulombicEfficiencyBaselineValues.isFull {
                    fullCell.coulombicEfficiencyBaseline = MedianOfFew.median(fullCell.coulombicEfficiencyBaselineValues.values)!
                }
            }
            fullCell.coulombicEfficiencyWindow.append(efficiency)
            if !fullCell.coulombicEfficiencyBaseline.isNaN, fullCell.coulombicEfficiencyWindow.isFull,
               let mean = fullCell.coulombicEfficiencyWindow.mean {
                if mean < fullCell.coulombicEfficiencyBaseline - thresholds.s6WarnDropPoints {
                    if !fullCell.s6WarnActive {
                        fullCell.s6WarnActive = true
                        fire(.S6, severity: .warn, at: at, cycle: cycleNumber, evidence: [
                            "rolling_mean_coulombic_efficiency": mean, "baseline": fullCell.coulombicEfficiencyBaseline,
                        ], message: "coulombic efficiency drifting below the cell's baseline", into: &alerts)
                    }
                } else if mean >= fullCell.coulombicEfficiencyBaseline - 0.5 * thresholds.s6WarnDropPoints, fullCell.s6WarnActive {
                    fullCell.s6WarnActive = false
                    endEpisode(.S6, at: at.time)
                }
            }
        }

        // Capacity reference: the discharge current of the first reference cycle sets the test
        // C-rate; rate-test and RPT cycles at other currents are summarized but not in the SOH series.
        // A reference not yet settled follows the current: a formation at C/10 then cycling at C/3
        // takes its reference from the first C/3 cycles. A settled one moves to another current
        // when the cell has been cycled steadily there for `capacityReferenceSwitchCycles`.
        guard cycleNumber >= thresholds.capacityReferenceFirstCycle else { return }
        let atReference = abs(level - fullCell.referenceDischargeLevel) <= width * fullCell.referenceDischargeLevel
        if !atReference, steady { fullCell.offReferenceCycles += 1 }
        if atReference { fullCell.offReferenceCycles = 0 }
        if !atReference, fullCell.capacityReference.isNaN || fullCell.offReferenceCycles >= thresholds.capacityReferenceSwitchCycles {
            fullCell.referenceDischargeLevel = level
            fullCell.offReferenceCycles = 0
            fullCell.capacityReference = .nan
            fullCell.capacityValues = RecentValues(capacity: fullCell.capacityValues.capacity)
            fullCell.chargeEndVoltageValues = RecentValues(capacity: fullCell.chargeEndVoltageValues.capacity)
            fullCell.stateOfHealthWindow = RecentValues(capacity: fullCell.stateOfHealthWindow.capacity)
            fullCell.e1Streak = 0
            fullCell.e2Streak = 0
        } else if !atReference {
            return
        }
        if fullCell.capacityReference.isNaN {
            fullCell.capacityValues.append(discharged)
            if let endOfCharge = summary.endOfChargeVoltageVolts { fullCell.chargeEndVoltageValues.append(endOfCharge) }
            let enough = fullCell.capacityValues.isFull
                || (cycleNumber >= thresholds.capacityReferenceLastCycle && fullCell.capacityValues.count >= 3)
            guard enough else { return }
            let reference = MedianOfFew.median(fullCell.capacityValues.values)!
            fullCell.capacityReference = reference
            fullCell.chargeEndVoltageReference = MedianOfFew.median(fullCell.chargeEndVoltageValues.values) ?? .nan
            // Back-fill the SOH window from the reference cycles, this one the last of them, so
            // the knee rule can judge this cycle already.
            for value in fullCell.capacityValues.chronological { fullCell.stateOfHealthWindow.append(value / reference) }
        } else {
            fullCell.stateOfHealthWindow.append(discharged / fullCell.capacityReference)
        }
        let reference = fullCell.capacityReference
        let health = discharged / reference
        margins.e1StateOfHealthMin = RuleMargins.smaller(margins.e1StateOfHealthMin, health)
        margins.judgedCycles += 1
        fullCell.lastStateOfHealth = health
        fullCell.lastStateOfHealthCycle = cycleNumber
        summary.stateOfHealth = health

        // E1: 80 % end of life, confirmed by the next cycle; the EOL cycle is the first crossing.
        if health < thresholds.e1StateOfHealth {
            if fullCell.e1Streak == 0 { fullCell.e1FirstCrossingCycle = cycleNumber }
            fullCell.e1Streak += 1
            if fullCell.e1Streak >= thresholds.e1Cycles {
                fire(.E1, at: at, cycle: cycleNumber, evidence: [
                    "state_of_health": health, "threshold": thresholds.e1StateOfHealth,
                    "end_of_life_cycle": Double(fullCell.e1FirstCrossingCycle),
                    "reference_capacity_amp_hours": reference,
                ], message: "capacity end of life", into: &alerts)
            }
        } else {
            fullCell.e1Streak = 0
        }

        // E2: 5-point OLS slope of SOH (x = −2…2, slope = Σxy / 10).
        if fullCell.stateOfHealthWindow.isFull {
            let values = fullCell.stateOfHealthWindow.chronological
            var slope = 0.0
            for (offset, value) in values.enumerated() { slope += Double(offset - 2) * value }
            slope /= 10
            margins.e2SlopeMin = RuleMargins.smaller(margins.e2SlopeMin, slope)
            if slope < thresholds.e2SlopePerCycle {
                fullCell.e2Streak += 1
                if fullCell.e2Streak >= thresholds.e2Cycles, !fullCell.e2Active {
                    fullCell.e2Active = true
                    fire(.E2, at: at, cycle: cycleNumber, evidence: [
                        "slope_per_cycle": slope, "threshold_per_cycle": thresholds.e2SlopePerCycle, "state_of_health": health,
                    ], message: "knee onset: capacity fade accelerating", into: &alerts)
                }
            } else {
                fullCell.e2Streak = 0
                if fullCell.e2Active {
                    fullCell.e2Active = false
                    endEpisode(.E2, at: at.time)
                }
            }
        }
    }
}

