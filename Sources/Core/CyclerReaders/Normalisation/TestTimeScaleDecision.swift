/// Which unit a test-time column is really in, decided against the instrument's own clock on
/// the opening records. Some software writes minutes or seconds under the same column name
/// (Maccor), so a profile may name alternative units; the first whose elapsed test time agrees
/// with the elapsed clock, once the clock has moved 10 s, is taken. None agreeing is a refusal:
/// a wrong unit would scale every time and every derived current.
struct TestTimeScaleDecision {
    /// Seconds per number as the profile declares it; the scale the fields are read at.
    let declared: Double
    private var candidates: [Double]
    /// The first record with both a test time and a clock reading.
    private var origin: (raw: Double, unix: Double, index: Int)?
    private let columnName: String
    private let file: String
    private let profileName: String

    init(profile: CompiledProfile) {
        declared = profile.declaredTestTimeScale
        candidates = profile.candidateTestTimeScales
        columnName = profile.columns[.testTime]?.name ?? ""
        file = profile.file
        profileName = profile.profile.name
    }

    /// Feeds one record's fields (read at the declared scale): the scale once the clock has
    /// advanced far enough to tell, nil before.
    mutating func add(_ fields: RecordFields) throws -> Double? {
        // Durations written as text (`1:02:03`) are seconds whatever the profile says.
        if fields.testTimeIsText { candidates = [declared] }
        guard let raw = fields.testTimeSeconds, let unix = fields.clockUnixSeconds, unix.isFinite else { return nil }
        let rawUnscaled = raw / declared
        guard let o = origin else {
            origin = (rawUnscaled, unix, fields.recordIndex)
            return nil
        }
        let wall = unix - o.unix
        guard wall >= 10 else { return nil }
        let elapsedRaw = rawUnscaled - o.raw
        let tolerance = max(2.5, 0.1 * wall)
        if let scale = candidates.first(where: { abs(elapsedRaw * $0 - wall) <= tolerance }) { return scale }
        throw CyclerReadError(
            file: file, location: "records \(o.index)–\(fields.recordIndex)",
            reason: "time scale disagrees with the instrument's timestamps: test time '\(columnName)' advances \(elapsedRaw) (×\(declared) s) while the clock advances \(wall) s; wrong unit in profile \(profileName)?")
    }

    /// The warning for a scale other than the declared one.
    func warning(for scale: Double) -> String? {
        guard scale != declared else { return nil }
        return "test-time column '\(columnName)' read in \(ColumnResolution.unitName(scale)) (its values agree with the instrument's timestamps only in that unit)"
    }
}
