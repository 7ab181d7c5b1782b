import Foundation
import Testing
@testable import CellfleetBenchmarks
#if canImport(Glibc)
import Glibc
#endif

/// `bench tail` judges the agent by these readings: a misparsed field is a wrong verdict.
@Suite struct ProcessUsageTests {
    @Test func residentAndPeakMemoryAreReadInBytes() throws {
        let status = "Name:\tcellfleet\nVmPeak:\t  900000 kB\nVmHWM:\t   24576 kB\nVmRSS:\t   20480 kB\nRssAnon:\t    4096 kB\nRssFile:\t   16384 kB\nThreads:\t8\n"
        let memory = try ProcessUsage.parseStatus(status)
        #expect(memory.resident == 20480 * 1024)
        #expect(memory.peak == 24576 * 1024)
        #expect(memory.anonymous == 4096 * 1024)
    }

    @Test func aStatusWithoutResidentMemoryIsRefused() {
        #expect(throws: ProcessUsage.Unreadable.self) { try ProcessUsage.parseStatus("Name:\tkthreadd\nState:\tS (sleeping)\n") }
    }

    @Test func cpuTimeIsCountedAfterACommandNameWithSpacesAndParentheses() throws {
        // Fields 14 and 15 (utime 250, stime 50 ticks); the name would shift a naive split by two.
        let stat = "4242 (cell (fleet) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 9 0 123456 900000000 5120 18446744073709551615"
        #expect(try ProcessUsage.parseCPUSeconds(stat: stat, ticksPerSecond: 100) == 3.0)
    }

    @Test func thisProcessIsReadLive() throws {
        let before = try ProcessUsage.read(pid: getpid())
        var spin = 0.0
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .milliseconds(300) { spin += sin(spin) + 1 }
        let after = try ProcessUsage.read(pid: getpid())
        #expect(spin > 0)
        #expect(before.residentBytes > 1_000_000 && before.peakResidentBytes >= before.residentBytes)
        #expect(before.anonymousResidentBytes > 0 && before.anonymousResidentBytes < before.residentBytes)
        #expect(after.cpuSeconds - before.cpuSeconds >= 0.1, "300 ms of spinning is counted as CPU time")
    }

    @Test func aProcessThatIsGoneIsAnError() {
        #expect(throws: ProcessUsage.Unreadable.self) { try ProcessUsage.read(pid: Int32.max) }
    }
}
