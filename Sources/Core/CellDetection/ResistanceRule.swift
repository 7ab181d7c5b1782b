/// R1 state (docs/detectors.md §3.5, §6.1): the DC resistance at each current transition, trended against
/// the same transition's early values. Never a failure for this chemistry.
struct ResistanceRuleState: Codable, Sendable {
    var lastOhms: Double?
    var active = false
    var clearStreak = 0
}

extension CellDetector {
    /// R_DC = |ΔV| / |ΔI| between the last raw sample before a transition and the first after it:
    /// a symmetric cell's reversal (ΔI = 2|I|) or a full cell's charge → rest (ΔI = I_ch).
    mutating func measureResistance(from closing: StepAccumulator, to point: RawPoint, nextKind: StepKind,
                                    deglitchedVoltage: Double, into alerts: inout [Alert]) {
        let measured: Bool
        switch cell.cellType {
        case .symmetric: measured = closing.kind.isActive && nextKind.isActive && nextKind != closing.kind
        case .half, .full: measured = closing.kind == .charge && nextKind == .rest
        }
        guard measured, closing.bucketIndex >= 0, closing.bucketIndex < buckets.count else { return }
        let deltaCurrent = abs(point.current - closing.lastCurrent)
        guard deltaCurrent > 0 else { return }
        // Raw voltages: the centred median would mix the two sides of the transition.
        let ohms = abs(point.voltage - closing.lastVoltage) / deltaCurrent
        resistance.lastOhms = ohms
        var bucket = buckets[closing.bucketIndex]
        bucket.transitions += 1
        defer { buckets[closing.bucketIndex] = bucket }
        if bucket.transitions >= thresholds.referenceFirstHalfCycle, bucket.transitions <= thresholds.referenceLastHalfCycle {
            bucket.resistanceValues.append(ohms)
            if bucket.resistanceValues.count >= thresholds.referenceMinimumCount {
                bucket.resistanceReference = MedianOfFew.median(bucket.resistanceValues.values)!
            }
            return
        }
        guard !bucket.resistanceReference.isNaN, bucket.resistanceReference > 0 else { return }
        let ratio = ohms / bucket.resistanceReference
        margins.r1RatioMax = RuleMargins.larger(margins.r1RatioMax, ratio)
        if ratio >= thresholds.r1Ratio {
            bucket.r1Streak += 1
            resistance.clearStreak = 0
            if bucket.r1Streak >= 2, !resistance.active {
                resistance.active = true
                fire(.R1, at: point, evidence: [
                    "resistance_ohms": ohms, "reference_ohms": bucket.resistanceReference, "ratio": ratio,
                    "interval_seconds": point.time - closing.lastTime,
                ], message: "DC resistance has grown (information; not a failure for this chemistry)", into: &alerts)
            }
        } else {
            bucket.r1Streak = 0
            if resistance.active {
                resistance.clearStreak += 1
                if resistance.clearStreak >= 3 {
                    resistance.active = false
                    endEpisode(.R1, at: point.time)
                }
            }
        }
    }
}
