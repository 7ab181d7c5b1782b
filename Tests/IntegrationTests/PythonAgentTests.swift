import TestSupport
import Foundation
import Testing

/// The wire schema is real for other languages: a small Python agent (pyzmq + protobuf, code
/// generated at test time from the same schemas/wire/cellfleet.proto) streams to our coordinator
/// and its samples are committed and acknowledged like ours.
@Suite struct PythonAgentTests {
    @Test func aPythonAgentIsServedLikeOurs() async throws {
        let python = ProcessInfo.processInfo.environment["CELLFLEET_PYTHON"] ?? "python3"
        let check = try TestProcess("/usr/bin/env", [python, "-c", "import zmq, google.protobuf"])
        check.process.waitUntilExit()
        try #require(check.process.terminationStatus == 0,
                     "python3 with pyzmq and protobuf is needed (the README's test command installs them): \(check.stderr)")
        let generated = TestPaths.temporaryDirectory("pyproto")
        defer { try? FileManager.default.removeItem(at: generated) }
        let wire = TestPaths.repositoryRoot.appendingPathComponent("schemas/wire")
        _ = try TestProcess.run("/usr/bin/env", [
            "protoc", "--proto_path=\(wire.path)", "--python_out=\(generated.path)", wire.appendingPathComponent("cellfleet.proto").path,
        ])

        let harness = try await ProtocolMisbehaviourTests.Harness()
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Python/python_agent.py").path
        let agent = try TestProcess("/usr/bin/env", [python, script, harness.endpoint, "python-lab-7", "5000"],
                                    environment: ["PYTHONPATH": generated.path])
        let status = await agent.waitForExit(timeoutSeconds: 90)
        #expect(status == 0, "python agent stderr: \(agent.stderr)")
        let report = try JSONDecoder().decode([String: String].self, from: Data(
            agent.stdout.replacingOccurrences(of: #":\s*(\d+)"#, with: ": \"$1\"", options: .regularExpression).utf8))
        #expect(report["samples_produced"] == "5000")
        #expect(report["samples_acked"] == "5000")
        let testID = try #require(report["test_id"])
        #expect(try harness.database.scalar("SELECT count(*) FROM samples WHERE test_id = '\(testID)'") == 5000)
        #expect(try harness.database.scalar("SELECT count(*) FROM tests WHERE agent_id = 'python-lab-7' AND ended_at IS NOT NULL AND attributes->>'language' = 'python'") == 1)
        #expect(try harness.database.scalar("SELECT count(*) FROM channels WHERE agent_id = 'python-lab-7'") == 1)
        await harness.stop()
    }
}
