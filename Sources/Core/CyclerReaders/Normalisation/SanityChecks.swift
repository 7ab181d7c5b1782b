/// The checks that make a reader refuse a file rather than read it half-right, each refusal with
/// the reason a lab can act on, and the warnings about what did not make it unreadable. A
/// profile that matches a file's columns can still be wrong about it: the current's sign
/// against the instrument's own state labels, test time against the instrument's clock.
/// (The test-time unit is checked against the clock first, on the opening records:
/// `TestTimeScaleDecision`.)
struct SanityChecks {
    let file: String
    let profileName: String
    let currentSign: CurrentSignConvention
    /// Things a user should know that did not make the file unreadable, in the order found.
    var warnings: [String] = []
    /// Labelled charge and discharge records whose current's sign agrees with their label, and
    /// those that contradict it. Not part of the resume state: a resumed read tallies afresh.
    private var signAgree = 0
    private var signDisagree = 0
    private var signCheckedAt = 0

    init(profile: CompiledProfile) {
        file = profile.file
        profileName = profile.profile.name
        currentSign = profile.currentSign
    }

    /// Tallies one labelled record's current against its direction, checking every 200.
    @inline(__always)
    mutating func tallySign(direction: CurrentDirection, currentAmperes current: Double) throws {
        if direction == .charge { if current > 0 { signAgree += 1 } else { signDisagree += 1 } }
        if direction == .discharge { if current < 0 { signAgree += 1 } else { signDisagree += 1 } }
        if signAgree + signDisagree >= signCheckedAt + 200 { try checkSign(final: false) }
    }

    /// Refuses when more than a fifth of the labelled records contradict the sign convention
    /// (at the end of the file, from 5 records; along the way, from 200).
    mutating func checkSign(final: Bool) throws {
        signCheckedAt = signAgree + signDisagree
        let total = signAgree + signDisagree
        guard total >= (final ? 5 : 200) else { return }
        if Double(signDisagree) > 0.2 * Double(total) {
            let convention = currentSign == .positiveIsCharge ? "positive = charge" : "positive = discharge"
            throw CyclerReadError(file: file, location: "first \(total) labelled records", reason: "current sign contradicts the instrument's state labels in \(signDisagree) of \(total) charge/discharge records; profile \(profileName) says \(convention)")
        }
    }

    /// Test time can lag the clock (pauses) but never outrun it by much.
    @inline(__always)
    func checkTestTime(elapsedSeconds test: Double, clockElapsedSeconds wall: Double, recordIndex: Int) throws {
        if test > wall * 1.05 + 3700 { throw testTimeAheadOfClock(elapsedSeconds: test, clockElapsedSeconds: wall, recordIndex: recordIndex) }
    }

    /// Out of line: the message is built only for a refusal, not in the per-record path.
    @inline(never)
    func testTimeAheadOfClock(elapsedSeconds test: Double, clockElapsedSeconds wall: Double, recordIndex: Int) -> CyclerReadError {
        CyclerReadError(file: file, location: "record \(recordIndex)", reason: "test time (\(test) s elapsed) runs ahead of the instrument's clock (\(wall) s elapsed): wrong time unit in profile \(profileName)?")
    }

    @inline(never)
    func testTimeRunsBackwards(previousSeconds: Double, nowSeconds: Double, recordIndex: Int) -> CyclerReadError {
        CyclerReadError(file: file, location: "record \(recordIndex)", reason: "test time runs backwards (\(previousSeconds) s, then \(nowSeconds) s) and no instrument clock shows a resumed test")
    }

    @inline(never)
    mutating func warnResumedTest(recordIndex: Int, writtenSeconds: Double, previousSeconds: Double) {
        warnings.append("test time restarts at record \(recordIndex) (\(writtenSeconds) s after \(previousSeconds) s) while the instrument's clock goes on: a resumed test; test time continued from the clock")
    }

    @inline(never)
    func noReadableTime(recordIndex: Int, profile: CompiledProfile) -> CyclerReadError {
        let columns = profile.columnNames([.testTime, .timestamp, .stepTime])
        return CyclerReadError(file: file, location: "record \(recordIndex)", reason: "no readable time in this record (columns \(columns.joined(separator: ", ")))")
    }

    @inline(never)
    mutating func warnTruncatedLastRecord(recordIndex: Int) {
        warnings.append("the last record (\(recordIndex)) is cut short: its missing fields are read as absent")
    }
}
