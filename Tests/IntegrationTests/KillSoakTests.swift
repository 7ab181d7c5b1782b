import CellModel
import TestSupport
import Foundation
import Testing

/// The backbone's soak (issue 17 §8), kept as a release-only test: N random rounds, each killing
/// the coordinator, the agent or PostgreSQL with SIGKILL at a random moment and starting it again,
/// then a full drain — counting samples lost and samples stored twice (both must be 0). Too long
/// for CI; run it on a release build:
///
///     CELLFLEET_SOAK_ROUNDS=10 swift test -c release --filter KillSoakTests
///
/// or drive a release `cellfleet` from the debug tests:
///
///     swift build -c release --product cellfleet --scratch-path .build-rel
///     CELLFLEET_BINARY=.build-rel/release/cellfleet CELLFLEET_SOAK_ROUNDS=10 swift test --skip-build --filter KillSoakTests
///
/// (CELLFLEET_SOAK_SEED changes the sequence of kills.)
@Suite(.serialized) struct KillSoakTests {
    static let rounds = ProcessInfo.processInfo.environment["CELLFLEET_SOAK_ROUNDS"].flatMap(Int.init)

    @Test(.enabled(if: rounds != nil, "release-only soak: set CELLFLEET_SOAK_ROUNDS (and build with -c release)"))
    func randomKillsLoseNothingAndStoreNothingTwice() async throws {
        let rounds = Self.rounds ?? 0
        var random = SplitMix64(state: ProcessInfo.processInfo.environment["CELLFLEET_SOAK_SEED"].flatMap(UInt64.init) ?? 17)
        var fleet = try EndToEndTests.Fleet()
        defer { fleet.stop() }
        try fleet.startCoordinator()
        var agent = try fleet.startAgent(duration: 8 * rounds + 10)
        var kills: [String] = []
        for round in 1...max(1, rounds) {
            try await Task.sleep(for: .milliseconds(2000 + Int(random.next() % 4000)))
            let pause = Duration.milliseconds(500 + Int(random.next() % 2500))
            switch random.next() % 3 {
            case 0:
                fleet.coordinator?.kill9()
                try await Task.sleep(for: pause)
                try fleet.startCoordinator()
                kills.append("coordinator")
            case 1:
                agent.kill9()
                try await Task.sleep(for: pause)
                agent = try fleet.startAgent(duration: 8 * (rounds - round) + 10)
                kills.append("agent")
            default:
                let pidFile = fleet.database.postgres.clusterDirectory.appendingPathComponent("postmaster.pid")
                let pid = try String(contentsOf: pidFile, encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) }
                if let pid { kill(pid, SIGKILL) }
                try await Task.sleep(for: pause)
                // A postmaster killed with -9 leaves its children to die and its pid file behind.
                for _ in 0..<50 where (try? fleet.database.postgres.isRunning()) == true { try await Task.sleep(for: .milliseconds(200)) }
                try fleet.database.postgres.start()
                kills.append("postgres")
            }
            print("soak round \(round): killed \(kills.last!)")
        }
        let status = await agent.waitForExit(timeoutSeconds: 300)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        let rows = try fleet.database.scalar("SELECT count(*) FROM samples")
        let distinct = try fleet.database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d")
        print("soak: \(rounds) rounds (\(kills.joined(separator: ", "))): \(report.samples_produced) produced, \(rows) rows, "
              + "\(report.samples_produced - distinct) lost, \(rows - distinct) duplicated")
        try fleet.expectExactlyOnce(report)
    }
}

