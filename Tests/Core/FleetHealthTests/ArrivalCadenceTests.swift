import PropertyBased
import Testing
@testable import FleetHealth

/// The usual-interval estimator F1's limit is built on: it follows the source's cadence between
/// arrivals, bursts and backlogs do not collapse it, and one outage barely inflates it.
struct ArrivalCadenceTests {
    /// Feeds arrivals at the given gaps, starting at 0.
    static func cadence(after gaps: [Double], from start: ArrivalCadence = ArrivalCadence()) -> ArrivalCadence {
        var cadence = start
        var time = cadence.lastArrivalSeconds ?? 0
        if cadence.lastArrivalSeconds == nil { cadence.arrived(atSeconds: time) }
        for gap in gaps {
            time += gap
            cadence.arrived(atSeconds: time)
        }
        return cadence
    }

    @Test func theFirstArrivalKnowsNoIntervalAndTheFirstGapSeedsIt() {
        var cadence = ArrivalCadence()
        cadence.arrived(atSeconds: 100)
        #expect(cadence.lastArrivalSeconds == 100 && cadence.usualIntervalSeconds == nil)
        cadence.arrived(atSeconds: 103)
        #expect(cadence.lastArrivalSeconds == 103 && cadence.usualIntervalSeconds == 3)
    }

    @Test func aSteadyCadenceIsItsInterval() {
        let cadence = Self.cadence(after: Array(repeating: 1, count: 500))
        #expect(cadence.usualIntervalSeconds == 1)
    }

    @Test func aLongerGapRaisesTheEstimateByTheSquareRootOfItsRatioAtMost() {
        // One outage of an hour in a 1 s cadence: 60 s, not an hour (F1's limit 10 min, not 10 h).
        let cadence = Self.cadence(after: Array(repeating: 1, count: 100) + [3600])
        #expect(abs(cadence.usualIntervalSeconds! - 60) < 1e-9)
        // And the 1 s cadence brings it back within a few minutes.
        let recovered = Self.cadence(after: Array(repeating: 1, count: 300), from: cadence)
        #expect(recovered.usualIntervalSeconds! < 2, "\(recovered.usualIntervalSeconds!)")
    }

    @Test func aSlowerSourceIsLearntInAFewArrivals() {
        let cadence = Self.cadence(after: Array(repeating: 1, count: 100) + Array(repeating: 600, count: 4))
        #expect(cadence.usualIntervalSeconds! > 300, "\(cadence.usualIntervalSeconds!)")
    }

    @Test func burstsOfBatchesKeepTheIntervalBetweenBursts() {
        // A file tailed: 5 batches 10 ms apart, every 60 s.
        let burst = Array(repeating: 0.01, count: 4) + [60 - 0.04]
        let cadence = Self.cadence(after: Array(Array(repeating: burst, count: 100).joined()))
        let usual = cadence.usualIntervalSeconds!
        #expect(usual > 55 && usual < 61, "\(usual)")
    }

    @Test func aBacklogSentAtOnceBarelyMovesIt() {
        let learnt = Self.cadence(after: Array(repeating: 120, count: 20))
        // A spool's backlog after a reconnect: a thousand commits 2 ms apart.
        let afterBacklog = Self.cadence(after: Array(repeating: 0.002, count: 1000), from: learnt)
        #expect(afterBacklog.usualIntervalSeconds! > 100, "\(afterBacklog.usualIntervalSeconds!)")
    }

    @Test func aFasterSourceBringsItDownWithinAFewOldIntervals() {
        let learnt = Self.cadence(after: Array(repeating: 60, count: 20))
        // Ten minutes of a 1 s cadence (ten old intervals).
        let faster = Self.cadence(after: Array(repeating: 1, count: 600), from: learnt)
        #expect(faster.usualIntervalSeconds! < 3, "\(faster.usualIntervalSeconds!)")
    }

    @Test func aClockStepBackOrANonFiniteTimeTeachesNothing() {
        var cadence = Self.cadence(after: [5, 5, 5])
        let before = cadence
        cadence.arrived(atSeconds: cadence.lastArrivalSeconds! - 30)
        cadence.arrived(atSeconds: cadence.lastArrivalSeconds!)
        cadence.arrived(atSeconds: .nan)
        cadence.arrived(atSeconds: .infinity)
        #expect(cadence == before)
    }

    @Test func propertyTheEstimateStaysWithinTheGapsSeen() async {
        await propertyCheck(count: 300, input: Gen.double(in: 0.001 ... 10_000).array(of: 1 ... 200)) { gaps in
            let usual = Self.cadence(after: gaps).usualIntervalSeconds!
            #expect(usual >= gaps.min()! * (1 - 1e-9) && usual <= gaps.max()! * (1 + 1e-9), "\(usual) outside \(gaps.min()!)…\(gaps.max()!)")
        }
    }
}
