import TestSupport
import Foundation
import Testing

/// `agent --simulate N --scheduled`: idle simulated channels that run only what the coordinator
/// starts on them, through the durable command outbox (`commands`, action `start_test`, its body
/// a StartTest in protobuf JSON) — the path the scheduler's assignments to simulated channels take.
@Suite(.serialized) struct ScheduledAgentTests {
    @Test func idleChannelsRunWhatTheCommandOutboxStartsAndRefuseWhatTheyCannot() async throws {
        let database = try TestDatabase()
        let port = TestPaths.freePort()
        let spool = TestPaths.temporaryDirectory("scheduled-spool")
        defer {
            database.stop()
            try? FileManager.default.removeItem(at: spool)
        }
        let coordinator = try await TestProcess.insecureCoordinator(database, port: port)
        defer { coordinator.terminate() }
        let agent = try TestProcess(TestPaths.cellfleet, [
            "agent", "--coordinator", "tcp://127.0.0.1:\(port)", "--spool", spool.path, "--insecure", "--agent-id", "sched-sim",
            "--simulate", "2", "--scheduled", "--rate", "50", "--speed", "3600",
        ])
        defer { agent.terminate() }
        #expect(await eventually(timeoutSeconds: 60) { try database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'sched-sim'") == 2 })
        try await Task.sleep(for: .seconds(2))
        #expect(try database.scalar("SELECT count(*) FROM tests") == 0, "a scheduled agent starts nothing by itself")

        let testID = UUID().uuidString.lowercased()
        func command(_ channel: String, _ body: String) throws {
            _ = try database.query("INSERT INTO commands (agent_id, channel_id, action, body) VALUES ('sched-sim', '\(channel)', 'start_test', '\(body)'::jsonb)")
        }
        try command("ch1", #"{"testId": "\#(testID)", "protocol": "sim:1", "cell": {"cellId": "A1", "attributes": {"study": "coating-vs-bare", "group": "A"}}}"#)
        #expect(await eventually(timeoutSeconds: 60) {
            try database.query("SELECT cell_id, attributes->>'study' FROM tests WHERE test_id = '\(testID)'") == ["A1|coating-vs-bare"]
        }, "\(agent.stderr.suffix(2000))")
        #expect(await eventually(timeoutSeconds: 30) {
            try database.query("SELECT state FROM commands ORDER BY command_id") == ["succeeded"]
        })
        #expect(await eventually(timeoutSeconds: 30) { try database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(testID)'") > 0 })

        // What a channel cannot do is refused with why, once each.
        try command("ch1", #"{"testId": "\#(UUID().uuidString.lowercased())", "protocol": "sim:1"}"#)
        try command("ch2", #"{"testId": "\#(UUID().uuidString.lowercased())", "protocol": "sim:nonesuch"}"#)
        try command("ch2", #"{"testID": "not the field names"}"#)
        #expect(await eventually(timeoutSeconds: 60) {
            try database.scalar("SELECT count(*) FROM commands WHERE state = 'failed'") == 3
        }, "\((try? database.query("SELECT command_id, state, result_message FROM commands")) ?? [])")
        let messages = try database.query("SELECT result_message FROM commands WHERE state = 'failed' ORDER BY command_id")
        #expect(messages.count == 3 && messages[0].contains("is running test \(testID)") && messages[1].contains("no simulator preset 'nonesuch'")
                && messages[2].contains("not a StartTest"), "\(messages)")
        #expect(try database.scalar("SELECT count(*) FROM tests") == 1)
    }
}
