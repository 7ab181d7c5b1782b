import Testing
import CellStatistics
@testable import CellfleetBenchmarks

@Suite struct StatsBenchmarkTests {
    @Test func theFleetIsDeterministicAndRealistic() throws {
        let a = StatsBenchmark(cellCount: 10_000, groups: 10)
        let b = StatsBenchmark(cellCount: 10_000, groups: 10)
        #expect(a.cells == b.cells)
        #expect(Set(a.cells.map(\.group)).count == 10)
        let censored = Double(a.cells.filter { !$0.failed }.count) / 10_000
        #expect(censored > 0.2 && censored < 0.8)
        #expect(Set(a.cells.map(\.life)).count < 2_000, "integer cycles: many ties")
    }

    @Test func runTimesEveryStage() throws {
        let timing = try StatsBenchmark(cellCount: 200, groups: 4).run(repeats: 2)
        #expect(timing.repeats == 2)
        for value in [timing.kaplanMeierMs, timing.weibullMs, timing.logRankMs] { #expect(value > 0 && value.isFinite) }
        #expect(timing.totalMs >= timing.logRankMs)
    }

    @Test func csvRoundTripsThroughTheReader() throws {
        let benchmark = StatsBenchmark(cellCount: 200, groups: 4)
        let cells = try LifeTable.read(csv: benchmark.csv())
        #expect(cells.map(\.life) == benchmark.cells.map(\.life))
        #expect(cells.map(\.failed) == benchmark.cells.map(\.failed))
    }
}
