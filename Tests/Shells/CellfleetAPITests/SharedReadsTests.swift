@testable import CellfleetAPI
import Foundation
import Testing

/// Whole-fleet reads shared by the requests that arrive together, never answering with a read
/// that began before the request did.
@Suite struct SharedReadsTests {
    /// Reads that number themselves and wait for the test to let each one finish.
    actor Reader {
        private(set) var started = 0
        private var gates: [Int: CheckedContinuation<Void, Never>] = [:]
        private var opened: Set<Int> = []
        var failing: Set<Int> = []

        func read() async throws -> [UInt8] {
            started += 1
            let number = started
            if !opened.contains(number) {
                await withCheckedContinuation { gates[number] = $0 }
            }
            if failing.contains(number) { throw ReadFailed(number: number) }
            return [UInt8(number)]
        }

        func finish(_ number: Int) {
            opened.insert(number)
            gates.removeValue(forKey: number)?.resume()
        }

        func fail(_ number: Int) { failing.insert(number) }

        func waitUntilStarted(_ count: Int) async {
            while started < count { await Task.yield(); try? await Task.sleep(for: .milliseconds(1)) }
        }
    }

    struct ReadFailed: Error, Equatable { let number: Int }

    static func waitUntilShared(_ reads: SharedReads, _ count: Int) async {
        while await reads.requestsShared < count { try? await Task.sleep(for: .milliseconds(1)) }
    }

    @Test func requestsArrivingDuringAReadShareTheNextOneNotTheRunningOne() async throws {
        let reads = SharedReads(), reader = Reader()
        let first = Task { try await reads.document("fleet") { try await reader.read() } }
        await reader.waitUntilStarted(1)
        // Three arrive while read 1 runs: they must not get read 1 (it began before them).
        let late = (0..<3).map { _ in Task { try await reads.document("fleet") { try await reader.read() } } }
        await Self.waitUntilShared(reads, 2)
        await reader.finish(1)
        #expect(try await first.value == [1])
        await reader.waitUntilStarted(2)
        await reader.finish(2)
        for request in late { #expect(try await request.value == [2]) }
        #expect(await reader.started == 2, "four requests, two reads")
        #expect(await reads.readsStarted == 2)
        #expect(await reads.requestsShared == 2)
        // Idle again: the next request reads anew.
        await reader.finish(3)
        #expect(try await reads.document("fleet") { try await reader.read() } == [3])
    }

    @Test func aFailedReadFailsThoseSharingItAndTheNextReadStartsClean() async throws {
        let reads = SharedReads(), reader = Reader()
        await reader.fail(2)
        let first = Task { try await reads.document("stats") { try await reader.read() } }
        await reader.waitUntilStarted(1)
        let sharing = (0..<2).map { _ in Task { try await reads.document("stats") { try await reader.read() } } }
        await Self.waitUntilShared(reads, 1)
        await reader.finish(1)
        await reader.waitUntilStarted(2)
        await reader.finish(2)
        #expect(try await first.value == [1])
        for request in sharing {
            await #expect(throws: ReadFailed(number: 2)) { try await request.value }
        }
        await reader.finish(3)
        #expect(try await reads.document("stats") { try await reader.read() } == [3])
    }

    @Test func differentKeysNeverShare() async throws {
        let reads = SharedReads(), reader = Reader()
        let a = Task { try await reads.document("stats?group_by=a") { try await reader.read() } }
        await reader.waitUntilStarted(1)
        let b = Task { try await reads.document("stats?group_by=b") { try await reader.read() } }
        await reader.waitUntilStarted(2)
        await reader.finish(1)
        await reader.finish(2)
        #expect(Set([try await a.value, try await b.value]) == [[1], [2]])
        #expect(await reads.requestsShared == 0)
    }

    /// A person who gives up cancels their wait, not the read the others share.
    @Test func aCancelledRequestLeavesTheSharedReadRunning() async throws {
        let reads = SharedReads(), reader = Reader()
        let first = Task { try await reads.document("fleet") { try await reader.read() } }
        await reader.waitUntilStarted(1)
        first.cancel()
        let second = Task { try await reads.document("fleet") { try await reader.read() } }
        await reader.finish(1)
        await reader.waitUntilStarted(2)
        await reader.finish(2)
        #expect(try await second.value == [2])
        #expect(await reader.started == 2)
    }
}
