/// Everything the normaliser carries from one record to the next, in one value: the token a
/// reader of a growing file saves with the source's resume point (`CyclerResumeToken`) and
/// restores later, so that picking the file up again neither renumbers rule-derived cycles nor
/// re-bases a resumed test. Nothing else the reader keeps changes a record it hands out
/// (label and step-type caches are memos; the sign tally and warnings only refuse or warn).
///
/// Codable as it always was: a saved token stays readable. Directions are encoded as the
/// codes of `CurrentDirection` (charge 1, discharge 2, rest 3, unknown 4).
public struct NormaliserState: Sendable, Hashable, Codable {
    /// Seconds per test-time number: the profile's unit, or the one the instrument's clock showed.
    var testTimeScale: Double
    /// The last record's test time (after any resumed-test offset), for spotting a restart.
    var previousTestTime: Double?
    /// The last finite clock reading, for telling a resumed test from time running backwards.
    var previousUnix: Double?
    /// The first record's clock and test time, for checking that test time never outruns the clock.
    var firstUnix: Double?
    var firstTestTimeForSpan: Double?
    /// Added to the written test time since the instrument restarted it in a resumed test.
    var testTimeOffset: Double = 0
    /// Files with only step time: the sum of the steps before the current one.
    var derivedTimeBase: Double = 0
    var previousStepTime: Double?
    /// The last record's test time, for deriving current from a charge increment.
    var previousDerivedTime: Double?
    /// Files with only a clock: test time counts from the first record's clock.
    var firstUnixForDerived: Double?
    /// The last cycle number, for records that leave the cycle column empty.
    var previousCycle: Int?
    /// The cycle number the profile's rule (`cycleNumbering`) has reached.
    var ruleCycle: Int = 1
    var firstActiveDirection: CurrentDirection?
    var lastActiveDirection: CurrentDirection?

    init(testTimeScale: Double) {
        self.testTimeScale = testTimeScale
    }
}
