import FileFollowing
import PropertyBased
import Testing

private let timing = FileFollowRules.Timing(settleSeconds: 10, idleEndSeconds: 3600)
private func file(_ size: Int64, inode: UInt64 = 1, mtime: Double = 0) -> FileObservation {
    FileObservation(identity: FileIdentity(device: 1, inode: inode), sizeBytes: size, modificationUnixSeconds: mtime)
}

@Test func anAppendedFileIsReadAsSoonAsItGrowsAndItsUnterminatedTailOnlyOnceSettled() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 100)
    #expect(rules.observe(file(500, mtime: 100), now: 100) == .readNew(includeUnterminated: false))
    rules.readSucceeded(observation: file(500, mtime: 100), leftUnterminatedTail: true)
    #expect(!rules.isReadToEnd)
    #expect(rules.observe(file(500, mtime: 100), now: 105) == .wait)
    #expect(rules.observe(file(500, mtime: 100), now: 110) == .readNew(includeUnterminated: true))
    rules.readSucceeded(observation: file(500, mtime: 100), leftUnterminatedTail: false)
    #expect(rules.isReadToEnd)
    #expect(rules.observe(file(500, mtime: 100), now: 200) == .wait)
    #expect(rules.observe(file(900, mtime: 201), now: 201) == .readNew(includeUnterminated: false))
}

@Test func anOldFileFoundInAFolderCountsItsTailAtOnceAndEndsAfterItsRead() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 100_000)
    #expect(rules.observe(file(500, mtime: 1_000), now: 100_000) == .readNew(includeUnterminated: true))
    rules.readSucceeded(observation: file(500, mtime: 1_000), leftUnterminatedTail: false)
    #expect(rules.observe(file(500, mtime: 1_000), now: 100_001) == .end(reason: "idle"))
    #expect(rules.observe(file(600, mtime: 100_002), now: 100_002) == .wait, "an ended test stays ended")
}

@Test func anAppendedFileThatShrankIsQuarantinedAndExaminedAgainWhenItChanges() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 0)
    _ = rules.observe(file(500), now: 0)
    rules.readSucceeded(observation: file(500), leftUnterminatedTail: false)
    guard case .quarantine(let reason) = rules.observe(file(300, mtime: 5), now: 5) else { Issue.record("not quarantined"); return }
    #expect(reason.contains("shrank from 500 to 300"))
    #expect(rules.isQuarantined && rules.isReadToEnd)
    #expect(rules.observe(file(300, mtime: 5), now: 50) == .wait)
    // Replaced by a good file: examined again from the start, once stable.
    #expect(rules.observe(file(800, mtime: 60), now: 60) == .wait)
    #expect(rules.observe(file(800, mtime: 60), now: 70) == .reread)
}

@Test func aReplacedTextFileIsRereadOnceStableThenFollowedFromItsEnd() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 0)
    _ = rules.observe(file(500, inode: 1), now: 0)
    rules.readSucceeded(observation: file(500, inode: 1), leftUnterminatedTail: false)
    #expect(rules.observe(file(400, inode: 2, mtime: 20), now: 20) == .wait, "a new inode is not a shrink")
    #expect(rules.observe(file(700, inode: 2, mtime: 25), now: 25) == .wait)
    #expect(rules.observe(file(700, inode: 2, mtime: 25), now: 35) == .reread)
    rules.readSucceeded(observation: file(700, inode: 2, mtime: 25), leftUnterminatedTail: false)
    #expect(rules.observe(file(900, inode: 2, mtime: 40), now: 40) == .readNew(includeUnterminated: false))
}

@Test func aRewrittenFileIsRereadOnlyWhenStable() {
    var rules = FileFollowRules(growth: .rewritten, timing: timing, firstSeenUnixSeconds: 0)
    #expect(rules.observe(file(500, mtime: 0), now: 0) == .wait)
    #expect(rules.observe(file(500, mtime: 0), now: 10) == .reread)
    rules.readSucceeded(observation: file(500, mtime: 0), leftUnterminatedTail: false)
    #expect(rules.observe(file(400, mtime: 12), now: 12) == .wait, "rewritten smaller: judged by its records, once stable")
    #expect(rules.observe(file(600, mtime: 15), now: 15) == .wait)
    #expect(rules.observe(file(600, mtime: 15), now: 24) == .wait)
    #expect(rules.observe(file(600, mtime: 15), now: 25) == .reread)
}

@Test func transientErrorsAndFilesChangingWhileReadAreRetriedNotQuarantined() {
    var rules = FileFollowRules(growth: .rewritten, timing: timing, firstSeenUnixSeconds: 0)
    _ = rules.observe(file(500), now: 0)
    #expect(rules.observe(file(500), now: 20) == .reread)
    #expect(rules.readFailed(.transient("EBUSY"), changedDuringRead: false, now: 20) == .wait)
    #expect(rules.observe(file(500), now: 21) == .wait, "backing off")
    #expect(rules.observe(file(500), now: 22) == .reread)
    #expect(rules.readFailed(.corrupt("cut short"), changedDuringRead: true, now: 22) == .wait, "it was being written")
    #expect(!rules.isQuarantined)
    #expect(rules.observe(file(500), now: 40) == .reread)
    #expect(rules.readFailed(.corrupt("cut short"), changedDuringRead: false, now: 40) == .quarantine(reason: "cut short"))
}

@Test func aNewFileThatDoesNotParseYetIsGivenTheSettleTimeBeforeQuarantine() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 0)
    #expect(rules.observe(file(20, mtime: 0), now: 0) == .readNew(includeUnterminated: false))
    #expect(rules.readFailed(.corrupt("no header yet"), changedDuringRead: false, now: 1) == .wait)
    #expect(rules.observe(file(20, mtime: 0), now: 15) == .readNew(includeUnterminated: true))
    #expect(rules.readFailed(.corrupt("no header"), changedDuringRead: false, now: 15) == .quarantine(reason: "no header"))
}

@Test func theFinalDecisionReadsWhatIsLeftIncludingTheTail() {
    var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 0)
    _ = rules.observe(file(500, mtime: 0), now: 0)
    rules.readSucceeded(observation: file(500, mtime: 0), leftUnterminatedTail: true)
    #expect(rules.finalDecision() == .readNew(includeUnterminated: true))
    rules.readSucceeded(observation: file(500, mtime: 0), leftUnterminatedTail: false)
    #expect(rules.finalDecision() == .wait)
    var binary = FileFollowRules(growth: .rewritten, timing: timing, firstSeenUnixSeconds: 0)
    _ = binary.observe(file(500, mtime: 0), now: 0)
    #expect(binary.finalDecision() == .reread)
}

/// Random lives of a file that is only ever appended to (sizes never fall, one inode): it is
/// never quarantined, never re-read, every growth is read at once, and once it is left alone
/// long enough everything is read and then its test ends exactly once.
@Test func anAppendOnlyFileIsNeverQuarantinedAndIsReadToItsEnd() async {
    await propertyCheck(count: 300, input: Gen.int(in: 0...1000).array(of: 1...40), Gen.int(in: 0...30).array(of: 1...40)) { growths, gaps in
        var rules = FileFollowRules(growth: .appended, timing: timing, firstSeenUnixSeconds: 0)
        var size: Int64 = 0
        var now = 0.0
        var ends = 0
        for (growth, gap) in zip(growths, gaps) {
            now += Double(gap)
            size += Int64(growth)
            let seen = file(size, mtime: now)
            let decision = rules.observe(seen, now: now)
            switch decision {
            case .readNew(let tail):
                rules.readSucceeded(observation: seen, leftUnterminatedTail: !tail && growth % 3 == 0)
            case .reread, .quarantine:
                Issue.record("\(decision) for an append-only file")
            case .end:
                ends += 1
            case .wait:
                if growth > 0, !rules.isQuarantined, case .following = rules.phase { Issue.record("growth not read") }
            }
        }
        // Left alone: the tail is read after the settle time, the test ends after the idle time.
        let seen = file(size, mtime: now)
        var decisions: [FileFollowRules.Decision] = []
        for later in [now + 10, now + 3601, now + 7200] {
            let decision = rules.observe(seen, now: later)
            if case .readNew = decision { rules.readSucceeded(observation: seen, leftUnterminatedTail: false) }
            decisions.append(decision)
        }
        #expect(rules.isReadToEnd)
        #expect(ends + decisions.filter { if case .end = $0 { true } else { false } }.count == 1)
    }
}
