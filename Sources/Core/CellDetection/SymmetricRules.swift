/// Per-cell state of the symmetric-cell rules that is not per current bucket (docs/detectors.md §4).
struct SymmetricRuleState: Codable, Sendable {
    // H1
    var lowCount = 0
    var lowStart = 0.0
    // P4 clamp clause
    var clampCount = 0
    var clampStart = 0.0
    // S1: closed half-cycles' event counts (window minus the open half-cycle)
    var dropWindow = RecentValues(capacity: 9)
    /// A drop in progress; it may recover in the next half-cycle (|V| is symmetric), so it
    /// lives here rather than in the step.
    var inDrop = false
    var preDropLevel = 0.0
    var dropThreshold = 0.0
    var dropTime = 0.0
    var s1Active = false
    // episodes of the warn rules evaluated per half-cycle
    var p1Active = false
    var p1Clear = 0
    var s2Active = false
    var s2Clear = 0
    var s3Active = false
    var s3Clear = 0
}

extension CellDetector {
    /// H1 (docs/detectors.md §4.5): |V_med3| collapses below a fraction of the plateau while current flows.
    @inline(__always)
    mutating func symmetricSampleRules(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard hasOpenStep else { return }
        let absVoltage = abs(deglitchedVoltage)
        if symmetric.inDrop, step.kind.isActive { dropRecovery(point, absVoltage: absVoltage, into: &alerts) }
        let atSetpoint = step.kind.isActive
            && abs(abs(point.current) - step.levelAmperes) <= thresholds.stepLevelTolerance * step.levelAmperes
        var limit = thresholds.h1AbsoluteVolts
        let reference = step.overpotentialReference
        if !reference.isNaN {
            limit = max(min(thresholds.h1AbsoluteVolts, thresholds.h1ReferenceFractionCap * reference),
                        thresholds.h1ReferenceFractionFloor * reference)
        }
        // The margin is the plateau's: a reversal crosses 0 V by design.
        if atSetpoint, point.time - step.startTime >= step.skipSeconds, !(absVoltage >= margins.h1VoltageMin) {
            margins.h1VoltageMin = absVoltage
            margins.h1LimitAtMin = limit
        }
        if atSetpoint, absVoltage < limit {
            if symmetric.lowCount == 0 { symmetric.lowStart = point.time }
            symmetric.lowCount += 1
            if symmetric.lowCount >= thresholds.h1Samples,
               point.time - symmetric.lowStart >= thresholds.h1Seconds,
               !hasLatched(.H1) {
                fire(.H1, at: point, evidence: [
                    "abs_voltage_volts": absVoltage, "threshold_volts": limit,
                    "current_amperes": point.current, "low_seconds": point.time - symmetric.lowStart,
                    "low_samples": Double(symmetric.lowCount),
                ], message: "hard short: |V| collapsed while current flows", into: &alerts)
            }
        } else {
            symmetric.lowCount = 0
        }
    }

    /// P4 clamp clause (docs/detectors.md §4.4): |V| at ≥ 0.95 of the protective limit for ≥ 10 s.
    @inline(__always)
    mutating func clampRule(_ point: RawPoint, deglitchedVoltage: Double, into alerts: inout [Alert]) {
        guard let clamp = voltageClampVolts, clamp > 0 else { return }
        if abs(deglitchedVoltage) >= thresholds.p4ClampFraction * clamp {
            if symmetric.clampCount == 0 { symmetric.clampStart = point.time }
            symmetric.clampCount += 1
            if symmetric.clampCount >= 2, point.time - symmetric.clampStart >= thresholds.p4ClampSeconds, !hasLatched(.P4) {
                fire(.P4, at: point, evidence: [
                    "abs_voltage_volts": abs(deglitchedVoltage), "clamp_volts": clamp,
                    "seconds_in_band": point.time - symmetric.clampStart,
                ], message: "voltage held at the cycler clamp", into: &alerts)
            }
        } else {
            symmetric.clampCount = 0
        }
    }

    /// Rules judged on each plateau sample: S1 drop-and-recover (symmetric), S4 negative steps
    /// during charge (full cell).
    @inline(__always)
    mutating func plateauRules(_ point: RawPoint, deglitchedVoltage: Double, previousAbsVoltage: Double, into alerts: inout [Alert]) {
        switch cell.cellType {
        case .symmetric:
            guard step.kind.isActive, !previousAbsVoltage.isNaN else { return }
            dropAndRecover(point, absVoltage: abs(deglitchedVoltage), previous: previousAbsVoltage, into: &alerts)
        case .half, .full:
            guard step.kind == .charge, !isAnodeHalfCell else { return }
            negativeStepsDuringCharge(point, deglitchedVoltage: deglitchedVoltage, into: &alerts)
        }
    }

    /// S1 (docs/detectors.md §4.6): a drop of D = max(30 % of the local level, 6·noise_ref, 3 mV) between two
    /// plateau samples starts an event.
    @inline(__always)
    mutating func dropAndRecover(_ point: RawPoint, absVoltage: Double, previous: Double, into alerts: inout [Alert]) {
        guard !symmetric.inDrop else { return }
        let noise = step.noiseReference.isNaN ? 0 : step.noiseReference
        let threshold = max(thresholds.s1RelativeDrop * previous, thresholds.s1NoiseMultiple * noise, thresholds.s1MinimumDropVolts)
        if previous - absVoltage >= threshold {
            symmetric.inDrop = true
            symmetric.preDropLevel = previous
            symmetric.dropThreshold = threshold
            symmetric.dropTime = point.time
        }
    }

    /// S1 recovery, checked on every sample of an active step: the event counts when |V| is back
    /// within D/2 of the level before the drop within 30 min.
    @inline(__always)
    mutating func dropRecovery(_ point: RawPoint, absVoltage: Double, into alerts: inout [Alert]) {
        guard point.time > symmetric.dropTime else { return }
        if absVoltage >= symmetric.preDropLevel - 0.5 * symmetric.dropThreshold {
            symmetric.inDrop = false
            step.dropEvents += 1
            let events = step.dropEvents
            let window = symmetric.dropWindow.sum + Double(events)
            if !symmetric.s1Active,
               events >= thresholds.s1EventsPerHalfCycle || window >= Double(thresholds.s1EventsPerWindow) {
                symmetric.s1Active = true
                fire(.S1, at: point, evidence: [
                    "events_this_half_cycle": Double(events), "events_in_window": window,
                    "drop_threshold_volts": symmetric.dropThreshold, "level_before_drop_volts": symmetric.preDropLevel,
                    "event_seconds": point.time - symmetric.dropTime,
                ], message: "soft short suspected: repeated drop-and-recover events", into: &alerts)
            }
        } else if point.time - symmetric.dropTime > thresholds.s1RecoverySeconds {
            symmetric.inDrop = false  // a drop that never recovers is left to H1, S3 or P2
        }
    }

    /// Half-cycle rules (docs/detectors.md §4.1–§4.4, §4.6–§4.8): P1, P2, P3, P4 (capacity clause), S2, S3, and the S1
    /// window; then the bucket's references are refined from half-cycles 3–12.
    mutating func closeHalfCycle(_ closing: StepAccumulator, into alerts: inout [Alert]) {
        symmetric.dropWindow.append(Double(closing.dropEvents))
        if symmetric.s1Active, symmetric.dropWindow.sum == 0 {
            symmetric.s1Active = false
            endEpisode(.S1, at: closing.lastTime)
        }
        guard closing.bucketIndex >= 0, closing.bucketIndex < buckets.count,
              closing.plateauCount >= 3, let overpotential = closing.plateauMean else { return }
        var bucket = buckets[closing.bucketIndex]
        let at = RawPoint(time: closing.lastTime, voltage: closing.lastVoltage, current: closing.lastCurrent,
                          temperature: .nan, cyclerStep: RawPoint.absent, cyclerCycle: RawPoint.absent, cyclerCapacity: .nan)
        let noise = closing.plateauNoise ?? 0
        bucket.halfCycles += 1

        // P3 needs no history, only the electrode area.
        if let area = cell.electrodeAreaSquareMeters, area > 0, closing.levelAmperes > 0 {
            let areaSquareCentimeters = area * 10_000
            let resistance = overpotential * areaSquareCentimeters / closing.levelAmperes
            margins.areaSpecificResistanceMax = RuleMargins.larger(margins.areaSpecificResistanceMax, resistance)
            bucket.p3Streak = resistance >= thresholds.p3AreaSpecificResistanceOhmSquareCentimeters ? bucket.p3Streak + 1 : 0
            if bucket.p3Streak >= thresholds.p3HalfCycles {
                fire(.P3, at: at, evidence: [
                    "area_specific_resistance_ohm_cm2": resistance,
                    "threshold_ohm_cm2": thresholds.p3AreaSpecificResistanceOhmSquareCentimeters,
                    "plateau_overpotential_volts": overpotential,
                    "current_density_ma_cm2": closing.levelAmperes * 1000 / areaSquareCentimeters,
                ], message: "area-specific resistance above the absolute limit", into: &alerts)
            }
        }

        // P4 capacity clause: a capacity-limited step that a voltage limit cut short.
        if let clamp = voltageClampVolts, !bucket.capacityReference.isNaN,
           closing.capacityAmpHours < thresholds.p4CapacityFraction * bucket.capacityReference,
           closing.endAbsVoltage >= thresholds.p4VoltageLimitFraction * clamp {
            fire(.P4, at: at, evidence: [
                "step_capacity_amp_hours": closing.capacityAmpHours,
                "planned_capacity_amp_hours": bucket.capacityReference,
                "end_abs_voltage_volts": closing.endAbsVoltage,
            ], message: "step ended early at the voltage limit", into: &alerts)
        }

        let reference = bucket.overpotentialReference
        if !reference.isNaN, reference > 0 {
            let ratio = overpotential / reference
            margins.overpotentialRatioMax = RuleMargins.larger(margins.overpotentialRatioMax, ratio)
            // P1 / P2: growth against this current's own early plateau.
            bucket.p1Streak = ratio >= thresholds.p1Ratio ? bucket.p1Streak + 1 : 0
            bucket.p2Streak = ratio >= thresholds.p2Ratio ? bucket.p2Streak + 1 : 0
            if bucket.p1Streak >= thresholds.p1HalfCycles {
                symmetric.p1Clear = 0
                if !symmetric.p1Active {
                    symmetric.p1Active = true
                    fire(.P1, at: at, evidence: [
                        "ratio": ratio, "plateau_overpotential_volts": overpotential, "reference_volts": reference,
                        "half_cycles": Double(bucket.p1Streak),
                    ], message: "polarization rising against the cell's early plateau", into: &alerts)
                }
            } else if symmetric.p1Active, bucket.p1Streak == 0 {
                symmetric.p1Clear += 1
                if symmetric.p1Clear >= thresholds.p1HalfCycles {
                    symmetric.p1Active = false
                    endEpisode(.P1, at: at.time)
                }
            }
            if bucket.p2Streak >= thresholds.p2HalfCycles {
                fire(.P2, at: at, evidence: [
                    "ratio": ratio, "plateau_overpotential_volts": overpotential, "reference_volts": reference,
                    "half_cycles": Double(bucket.p2Streak),
                ], message: "polarization blow-up", into: &alerts)
            }

            // S2: plateau noise (mean |second difference|) far above this cell's own.
            let noiseReference = bucket.noiseReference.isNaN ? 0 : bucket.noiseReference
            let noiseLimit = max(thresholds.s2NoiseMultiple * noiseReference, thresholds.s2MinimumVolts,
                                 thresholds.s2FractionOfOverpotential * overpotential)
            bucket.s2Streak = noise >= noiseLimit ? bucket.s2Streak + 1 : 0
            if bucket.s2Streak >= thresholds.s2HalfCycles {
                symmetric.s2Clear = 0
                if !symmetric.s2Active {
                    symmetric.s2Active = true
                    fire(.S2, at: at, evidence: [
                        "noise_volts": noise, "threshold_volts": noiseLimit, "noise_reference_volts": noiseReference,
                    ], message: "soft short suspected: voltage noise on the plateau", into: &alerts)
                }
            } else if symmetric.s2Active, bucket.s2Streak == 0 {
                symmetric.s2Clear += 1
                if symmetric.s2Clear >= thresholds.s2HalfCycles {
                    symmetric.s2Active = false
                    endEpisode(.S2, at: at.time)
                }
            }

            // S3: the plateau falls far below the running peak of a slow EWMA.
            bucket.slowOverpotential = bucket.slowOverpotential.isNaN
                ? reference
                : bucket.slowOverpotential + thresholds.s3SmoothingFactor * (overpotential - bucket.slowOverpotential)
            bucket.peakOverpotential = max(bucket.peakOverpotential.isNaN ? reference : bucket.peakOverpotential,
                                           bucket.slowOverpotential, reference)
            let decline = overpotential / bucket.peakOverpotential
            margins.s3RatioToPeakMin = RuleMargins.smaller(margins.s3RatioToPeakMin, decline)
            bucket.s3Streak = decline <= thresholds.s3Ratio ? bucket.s3Streak + 1 : 0
            if bucket.s3Streak >= thresholds.s3HalfCycles {
                symmetric.s3Clear = 0
                if !symmetric.s3Active {
                    symmetric.s3Active = true
                    fire(.S3, at: at, evidence: [
                        "ratio_to_peak": decline, "plateau_overpotential_volts": overpotential,
                        "peak_volts": bucket.peakOverpotential,
                    ], message: "soft short suspected: overpotential declining below its peak", into: &alerts)
                }
            } else if symmetric.s3Active, bucket.s3Streak == 0 {
                symmetric.s3Clear += 1
                if symmetric.s3Clear >= thresholds.s3HalfCycles {
                    symmetric.s3Active = false
                    endEpisode(.S3, at: at.time)
                }
            }
        }

        // References: half-cycles 3–12 of this bucket, used once 4 are known.
        if bucket.halfCycles >= thresholds.referenceFirstHalfCycle, bucket.halfCycles <= thresholds.referenceLastHalfCycle {
            bucket.overpotentialValues.append(overpotential)
            bucket.noiseValues.append(noise)
            bucket.capacityValues.append(closing.capacityAmpHours)
            if bucket.overpotentialValues.count >= thresholds.referenceMinimumCount {
                bucket.overpotentialReference = MedianOfFew.median(bucket.overpotentialValues.values)!
                bucket.noiseReference = MedianOfFew.median(bucket.noiseValues.values)!
                bucket.capacityReference = MedianOfFew.median(bucket.capacityValues.values)!
            }
        }
        buckets[closing.bucketIndex] = bucket
    }
}
