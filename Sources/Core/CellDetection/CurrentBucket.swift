/// Baselines for one current level of one cell (docs/detectors.md §2.5): overpotential, noise, step
/// capacity and DC resistance references from the bucket's own early half-cycles, plus the
/// consecutive counters of the half-cycle rules. A new current level opens a new bucket, so a
/// rate step is never compared with another current's plateau.
struct CurrentBucket: Codable, Sendable {
    var levelAmperes: Double
    var lastUsed: Int
    var halfCycles = 0
    var lastActiveSeconds = 0.0

    var overpotentialValues = RecentValues(capacity: 10)
    var noiseValues = RecentValues(capacity: 10)
    var capacityValues = RecentValues(capacity: 10)
    var overpotentialReference = Double.nan
    var noiseReference = Double.nan
    var capacityReference = Double.nan

    var transitions = 0
    var resistanceValues = RecentValues(capacity: 10)
    var resistanceReference = Double.nan
    var r1Streak = 0

    // S7: post-charge rest slopes after a charge at this current (relaxation scales with it)
    var postChargeRests = 0
    var restEarlyValues = RecentValues(capacity: 5)
    var restLateValues = RecentValues(capacity: 5)
    var restEarlyBaseline = Double.nan
    var restLateBaseline = Double.nan

    var p1Streak = 0
    var p2Streak = 0
    var p3Streak = 0
    var s2Streak = 0
    var s3Streak = 0
    var slowOverpotential = Double.nan
    var peakOverpotential = Double.nan

    init(levelAmperes: Double, lastUsed: Int) {
        self.levelAmperes = levelAmperes
        self.lastUsed = lastUsed
    }

    /// The bucket a level belongs to: within ±width/2 (relative) of the bucket's level.
    func contains(_ level: Double, relativeWidth: Double) -> Bool {
        abs(level - levelAmperes) <= 0.5 * relativeWidth * levelAmperes
    }
}
