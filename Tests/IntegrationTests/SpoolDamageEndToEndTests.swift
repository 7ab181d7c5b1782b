import TestSupport
import Foundation
import Testing

/// Issue 17 §4's acceptance through real processes: an agent's spool with bytes flipped early in
/// its first segment. The restarted agent delivers everything readable, declares what was lost,
/// the coordinator records the holes (with their F5 alerts) and ends every test — and the two do
/// not loop over the gap.
@Suite(.serialized) struct SpoolDamageEndToEndTests {
    @Test func aDamagedSpoolIsDeliveredAroundItsHoleWhichIsDeclaredAndRecorded() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("damaged-spool").appendingPathComponent("spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool.deletingLastPathComponent())
        }
        func agent(duration: Int) throws -> TestProcess {
            try TestProcess(TestPaths.cellfleet, [
                "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path,
                "--simulate", "4", "--rate", "100", "--duration", "\(duration)", "--insecure", "--agent-id", "damaged",
            ])
        }
        // 1. No coordinator yet: everything the agent produces, ends included, waits in its spool.
        let first = try agent(duration: 3)
        try await Task.sleep(for: .seconds(6))
        first.terminate()
        let produced = try AgentReport.parse(first.stdout).samples_produced
        #expect(produced > 4 * 100 * 2)

        // 2. Bit rot early in the first segment.
        let segment = try FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.hasPrefix("segment-") }.sorted()[0]
        let url = spool.appendingPathComponent(segment)
        var bytes = try [UInt8](Data(contentsOf: url))
        let at = bytes.count / 7
        for offset in at..<(at + 48) { bytes[offset] ^= 0xA5 }
        try Data(bytes).write(to: url)

        // 3. The coordinator, and the agent again on the damaged spool.
        let coordinator = try TestProcess(TestPaths.cellfleet, [
            "coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)", "--insecure",
        ])
        defer { coordinator.terminate() }
        let second = try agent(duration: 1)
        let status = await second.waitForExit(timeoutSeconds: 120)
        #expect(status == 0, "agent stderr: \(second.stderr.suffix(3000))")
        let line = second.stdout.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let summary = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        #expect((summary["spool_damaged_records"] as? Int ?? 0) >= 1, "\(line)")
        #expect((summary["losses_declared"] as? Int ?? 0) >= 1, "\(line)")
        // No refusal loop (the agent finished): the gap refuses what was in flight behind it
        // once — at most a credit's worth (64) per damaged test — and is then declared.
        #expect((summary["errors_from_coordinator"] as? Int ?? 999) < 2 * 64, "\(line)")

        // Every hole is recorded with its alert, and every test ended with what it stored plus
        // what was declared lost adding up to its last sequence number.
        #expect(try database.scalar("SELECT count(*) FROM sample_losses") >= 1)
        #expect(try database.scalar("SELECT count(*) FROM sample_losses WHERE alert_id IS NULL") == 0)
        #expect(try database.scalar("SELECT count(*) FROM alerts WHERE rule = 'F5'") == database.scalar("SELECT count(*) FROM sample_losses"))
        #expect(try database.scalar("SELECT count(*) FROM tests WHERE ended_at IS NULL") == 0)
        #expect(try database.scalar("""
            SELECT count(*) FROM tests t
            WHERE t.last_seq <> (SELECT count(*) FROM samples s WHERE s.test_id = t.test_id)
                              + (SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM sample_losses l WHERE l.test_id = t.test_id)
            """) == 0)
        let stored = try database.scalar("SELECT count(*) FROM samples")
        let lost = try database.scalar("SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM sample_losses")
        #expect(lost > 0 && lost < produced / 4, "a 48-byte hole loses a record or two, not the segment")
        #expect(try database.scalar("SELECT count(*) FROM (SELECT DISTINCT test_id, seq FROM samples) d") == stored)
        // What the agent still held is what the coordinator stored: the first run's samples
        // outside the hole, and the second run's.
        let report = try AgentReport.parse(second.stdout)
        #expect(stored == report.samples_produced)
        #expect(report.samples_acked == report.samples_produced)
        #expect(stored + lost >= produced)
    }
}
