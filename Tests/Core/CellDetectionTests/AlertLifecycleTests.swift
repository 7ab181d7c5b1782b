import CellModel
import CellDetection
import Testing

/// People's state changes on a stored alert (`alerts ack` / `resolve`), every request against
/// every state, and the watch's exactly-once printing.
@Suite struct AlertLifecycleTests {
    static let requests: [AlertStateRequest] = [
        .acknowledge(by: "alice", note: nil), .acknowledge(by: "alice", note: "seen"),
        .resolve(by: nil, note: nil), .resolve(by: "bob", note: "replaced"),
    ]

    @Test(arguments: AlertState.allCases)
    func everyRequestOnEveryStateHasOneOutcome(state: AlertState) {
        let alert = AlertStateSnapshot(alertID: 7, state: state, acknowledgedBy: state == .firing ? nil : "carol",
                                       resolvedBy: state == .resolved ? "dave" : nil, note: "earlier")
        for request in Self.requests {
            let decision = AlertStateDecision.decide(request, on: alert)
            switch (request, state) {
            case (.acknowledge(let by, let note), .firing):
                #expect(decision == .change(to: .acknowledged, by: by, note: note.map { "earlier\n\($0)" } ?? "earlier",
                                            summary: "alert 7 acknowledged by alice"))
            case (.acknowledge, .acknowledged):
                #expect(decision == .unchanged(summary: "alert 7 is already acknowledged by carol; nothing changed"))
            case (.acknowledge, .resolved):
                guard case .refused(let reason) = decision else { Issue.record("\(decision)"); continue }
                #expect(reason.contains("alert 7 is resolved (by dave)") && reason.contains("cannot be acknowledged"))
            case (.resolve(let by, let note), .firing), (.resolve(let by, let note), .acknowledged):
                guard case .change(let to, let who, let stored, let summary) = decision else { Issue.record("\(decision)"); continue }
                #expect(to == .resolved && who == by && stored == (note.map { "earlier\n\($0)" } ?? "earlier"))
                #expect(summary == "alert 7 resolved" + (by.map { " by \($0)" } ?? ""))
            case (.resolve, .resolved):
                #expect(decision == .unchanged(summary: "alert 7 is already resolved by dave; nothing changed"))
            }
        }
    }

    @Test func aNoteWithoutEarlierNotesIsStoredAloneAndNoNoteKeepsTheOldOne() {
        let fresh = AlertStateSnapshot(alertID: 1, state: .firing)
        #expect(AlertStateDecision.decide(.acknowledge(by: "a", note: "n"), on: fresh)
                == .change(to: .acknowledged, by: "a", note: "n", summary: "alert 1 acknowledged by a"))
        #expect(AlertStateDecision.decide(.resolve(by: nil, note: ""), on: fresh)
                == .change(to: .resolved, by: nil, note: nil, summary: "alert 1 resolved"))
    }

    @Test func theWatchPrintsEachStateOnceAndNeverGoesBack() {
        var log = AlertWatchLog()
        do { let printed = log.print(5, .firing); #expect(printed) }
        // Seen again (in the first read and in a notification): once.
        do { let printed = log.print(5, .firing); #expect(!printed) }
        #expect(log.isNews(alertID: 5, state: .acknowledged))
        do { let printed = log.print(5, .resolved); #expect(printed) }
        // A late notification of a state already passed is not printed after it.
        do { let printed = log.print(5, .acknowledged); #expect(!printed) }
        do { let printed = log.print(9, .acknowledged); #expect(printed) }
        do { let printed = log.print(9, .firing); #expect(!printed) }
        #expect(log.openAlertIDs == [9] && log.highestAlertID == 9)
    }
}

extension AlertWatchLog {
    /// `shouldPrint` as a value (the #expect macro cannot call a mutating member).
    fileprivate mutating func print(_ id: Int64, _ state: AlertState) -> Bool {
        shouldPrint(alertID: id, state: state)
    }
}
