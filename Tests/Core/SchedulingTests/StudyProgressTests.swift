import PropertyBased
import Scheduling
import Testing

private func study(infantHours: Double = 50) -> StudyProgress.Plan {
    StudyProgress.Plan(name: "coating-vs-bare", priority: 2, infantHours: infantHours, groups: [
        .init(name: "A", replicates: 3, protocolToRun: .simulated(preset: "1"), durationHours: 200, attributes: ["coating": "LiAlO2"],
              cells: [.init(id: "A1"), .init(id: "A2", protocolToRun: .simulated(preset: "8")), .init(id: "A3"), .init(id: "A4")]),
        .init(name: "B", replicates: 3, protocolToRun: .simulated(preset: "4"), durationHours: 200, onFail: "stop",
              cells: [.init(id: "B1"), .init(id: "B2"), .init(id: "B3")]),
    ])
}

@Test func anInfantFailureIsReplacedFromStockAndALaterFailureIsAResult() {
    var progress = StudyProgress(plan: study(), firstSubmitted: 100)
    let first = progress.start()
    #expect(first.map(\.cellID) == ["A1", "A2", "A3", "B1", "B2", "B3"])
    #expect(first.map(\.submitted) == Array(100...105) && first.allSatisfy { $0.priority == 2 })
    #expect(first[1].protocolToRun == .simulated(preset: "8"), "a cell's own protocol")
    // A2 hard-shorts 3 h in: infant mortality, replaced by A4.
    let shorted = progress.testFinished(cellID: "A2", group: "A", outcome: .init(failRule: "H1", failAtHours: 3, failAtCycle: 1))
    #expect(shorted.verdict == .infant && shorted.replacement?.cellID == "A4" && shorted.replacement?.submitted == 106)
    // The bare cells blow up after the infant window: results.
    for cell in ["B1", "B2", "B3"] {
        #expect(progress.testFinished(cellID: cell, group: "B", outcome: .init(failRule: "P2", failAtHours: 120)).verdict == .failed)
    }
    for cell in ["A1", "A3", "A4"] {
        #expect(progress.testFinished(cellID: cell, group: "A", outcome: .completed).verdict == .conclusive)
    }
    #expect(progress.state == .complete)
    #expect(progress.groups["A"]!.conclusive == 3 && progress.groups["A"]!.replaced == 1 && progress.groups["B"]!.failed == 3)
    #expect(progress.stockLeft(group: "A") == 0)
    #expect(progress.testFinished(cellID: "A1", group: "A", outcome: .completed).replacement == nil, "a repeated end changes nothing")
    #expect(progress.groups["A"]!.conclusive == 3)
}

@Test func aGroupWhoseStockRunsOutSaysSo() {
    var progress = StudyProgress(plan: study(), firstSubmitted: 0)
    _ = progress.start()
    for cell in ["A1", "A2"] { _ = progress.testFinished(cellID: cell, group: "A", outcome: .init(failRule: "S1", failAtHours: 10)) }
    _ = progress.testFinished(cellID: "A4", group: "A", outcome: .init(failRule: "S1", failAtHours: 10))
    #expect(progress.state == .stockExhausted)
}

/// Whatever the outcomes, a group never has more tests in flight than it still needs, never
/// queues a cell twice, and counts every finished test once.
@Test func theReplicatePolicyNeverOverQueuesAndCountsEachTestOnce() async {
    await propertyCheck(count: 300, input: Gen.int(in: 0...3).array(of: 1...40), Gen.int(in: 1...4), Gen.int(in: 1...8)) { outcomes, replicates, stock in
        let plan = StudyProgress.Plan(name: "s", infantHours: 50, groups: [
            .init(name: "G", replicates: replicates, protocolToRun: .simulated(preset: "1"), cells: (1...stock).map { .init(id: "c\($0)") }),
        ])
        var progress = StudyProgress(plan: plan, firstSubmitted: 0)
        var inFlight = progress.start().map(\.cellID)
        var queued = Set(inFlight)
        var finished = 0
        for code in outcomes {
            guard let cell = inFlight.first else { break }
            inFlight.removeFirst()
            let outcome: StudyProgress.Outcome = [.completed, .init(failRule: "P2", failAtHours: 10), .init(failRule: "P2", failAtHours: 80),
                                                   .init(failRule: "H1", failAtHours: 60, failAtCycle: 1)][code]
            let (_, replacement) = progress.testFinished(cellID: cell, group: "G", outcome: outcome)
            finished += 1
            if let replacement {
                #expect(queued.insert(replacement.cellID).inserted, "\(replacement.cellID) queued twice")
                inFlight.append(replacement.cellID)
            }
            let group = progress.groups["G"]!
            #expect(group.conclusive + group.replaced == finished)
            #expect(group.conclusive <= replicates && group.conclusive + group.inFlight.count <= replicates)
        }
        if progress.state == .complete { #expect(progress.groups["G"]!.conclusive == replicates) }
    }
}

/// The coordinator rebuilds a study's progress from its rows each round and tops it up: what was
/// asked for is not asked again, what infant mortality, a damaged cell or added replicates
/// leave missing is.
@Test func aRestoredStudyTopsUpOnlyWhatIsMissing() {
    var plan = study()
    var restored = StudyProgress(plan: plan, restoring: [
        "A": .init(nextStock: 3, inFlight: ["A1", "A3"], replaced: 1, verdicts: ["A2": .infant]),
        "B": .init(nextStock: 3, inFlight: ["B1", "B3"], replaced: 1, verdicts: ["B2": .damaged]),
    ], nextSubmitted: 0)
    let asked = restored.topUp().map(\.cellID)
    #expect(asked == ["A4"], "B has no stock left to replace its damaged cell: \(asked)")
    #expect(restored.groupState("B") == .stockExhausted)
    #expect(restored.topUp().isEmpty, "asked once")

    plan.groups[0].replicates = 5
    var grown = StudyProgress(plan: plan, restoring: [
        "A": .init(nextStock: 3, conclusive: 3), "B": .init(nextStock: 3, inFlight: ["B1", "B2", "B3"]),
    ], nextSubmitted: 0)
    #expect(grown.topUp().map(\.cellID) == ["A4"], "two more replicates, one cell of stock")
    #expect(grown.groupState("A") == .stockExhausted)
}

@Test func aTestEndedEarlyWithoutAFailAlertIsAbortedAndReplaced() {
    var progress = StudyProgress(plan: study(), firstSubmitted: 0)
    _ = progress.start()
    let stopped = progress.testFinished(cellID: "A1", group: "A", outcome: .init(endReason: "stopped: by hand"))
    #expect(stopped.verdict == .aborted && stopped.replacement?.cellID == "A4")
    for reason in ["completed", "idle", "imported"] {
        #expect(progress.verdict(.init(endReason: reason)) == .conclusive, "\(reason)")
    }
    #expect(progress.verdict(.init(failRule: "P2", failAtHours: 106, endReason: "stopped: P2")) == .failed)
}
