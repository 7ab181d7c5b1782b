import TestSupport
import Foundation
import Testing

/// deploy/: the install script, the systemd units (checked by `systemd-analyze verify` where it
/// exists), and the services run as their non-root users exactly as their units say.
@Suite(.serialized) struct DeployTests {
    /// A [Service] section's settings, and its ExecStart expanded the way systemd does.
    struct InstalledUnit {
        var settings: [String: String] = [:]

        init(_ url: URL) throws {
            for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
                let text = line.trimmingCharacters(in: .whitespaces)
                guard !text.hasPrefix("#"), !text.hasPrefix("["), let equals = text.firstIndex(of: "=") else { continue }
                settings[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
        }

        /// Reads EnvironmentFile (a leading '-' means optional) as systemd does: KEY=value lines.
        func environment() throws -> [String: String] {
            guard var path = settings["EnvironmentFile"] else { return [:] }
            let optional = path.hasPrefix("-")
            if optional { path.removeFirst() }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                if optional { return [:] }
                throw TestFailure("EnvironmentFile \(path) is missing")
            }
            var environment: [String: String] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                environment[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return environment
        }

        /// `${VAR}` becomes one word, `$VAR` is split on spaces (and vanishes when empty).
        func command(extra: [String] = []) throws -> [String] {
            let environment = try self.environment()
            var words: [String] = []
            for word in (settings["ExecStart"] ?? "").split(separator: " ").map(String.init) {
                if word.hasPrefix("${"), word.hasSuffix("}") {
                    words.append(environment[String(word.dropFirst(2).dropLast())] ?? "")
                } else if word.hasPrefix("$") {
                    words += (environment[String(word.dropFirst())] ?? "").split(separator: " ").map(String.init)
                } else {
                    words.append(word)
                }
            }
            return words + extra
        }
    }

    struct Layout {
        let root: URL
        var prefix: URL { root.appendingPathComponent("usr") }
        var etc: URL { root.appendingPathComponent("etc") }
        var state: URL { root.appendingPathComponent("var/lib") }
        var units: URL { root.appendingPathComponent("systemd") }

        func install(_ arguments: [String]) throws -> String {
            try TestProcess.run("/bin/sh", [
                TestPaths.repositoryRoot.appendingPathComponent("deploy/install.sh").path,
            ] + arguments + [
                "--binary", TestPaths.cellfleet, "--prefix", prefix.path, "--sysconfdir", etc.path,
                "--statedir", state.path, "--unitdir", units.path,
            ])
        }
    }

    static func uid(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { Int($0) }
    }

    static func uid(ofUser user: String) -> Int? {
        (try? TestProcess.run("/usr/bin/id", ["-u", user])).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func installVerifyAndRunTheServicesAsTheirUsers() async throws {
        guard getuid() == 0 else {
            print("skipping: installing services needs root (system users, chown)")
            return
        }
        let layout = Layout(root: TestPaths.temporaryDirectory("deploy"))
        defer { try? FileManager.default.removeItem(at: layout.root) }
        let database = try TestDatabase()
        defer { database.stop() }
        // The test cluster stands for the lab's PostgreSQL, which lets the `cellfleet` service
        // user connect. An embedded cluster is its own user's alone (issue 17 §6), so this test
        // opens its socket to local users, as a lab's server (with its own authentication) is.
        let socketDirectory = database.postgres.socketDirectory
        try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: socketDirectory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o777],
                                              ofItemAtPath: socketDirectory.appendingPathComponent(".s.PGSQL.\(database.postgres.port)").path)
        let port = TestPaths.freePort()

        // Coordinator, then an agent pointed at it with the coordinator's public key.
        let coordinatorOutput = try layout.install(["coordinator", "--database", database.url, "--listen", "tcp://127.0.0.1:\(port)"])
        #expect(coordinatorOutput.contains("coordinator.key"))
        let coordinatorKey = layout.etc.appendingPathComponent("cellfleet/keys/coordinator.key")
        _ = try layout.install(["agent", "--name", "cycler-07", "--coordinator", "tcp://127.0.0.1:\(port)", "--server-key", coordinatorKey.path])
        // Running it again (an upgrade) keeps the keys.
        let agentSecret = layout.etc.appendingPathComponent("cellfleet-agent/keys/cycler-07.key_secret")
        let secretBefore = try String(contentsOf: agentSecret, encoding: .utf8)
        _ = try layout.install(["agent", "--name", "cycler-07", "--coordinator", "tcp://127.0.0.1:\(port)", "--server-key", coordinatorKey.path])
        #expect(try String(contentsOf: agentSecret, encoding: .utf8) == secretBefore)

        // Tight permissions: secrets 0600 owned by the service user, the spool 0700.
        func mode(_ url: URL) throws -> Int { try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int ?? -1 }
        func owner(_ url: URL) throws -> String { try FileManager.default.attributesOfItem(atPath: url.path)[.ownerAccountName] as? String ?? "" }
        let coordinatorSecret = layout.etc.appendingPathComponent("cellfleet/keys/coordinator.key_secret")
        #expect(try mode(coordinatorSecret) == 0o600)
        #expect(try owner(coordinatorSecret) == "cellfleet")
        #expect(try mode(agentSecret) == 0o600)
        #expect(try owner(agentSecret) == "cellfleet-agent")
        let spool = layout.state.appendingPathComponent("cellfleet-agent/spool")
        #expect(try mode(spool) == 0o700)
        #expect(try owner(spool) == "cellfleet-agent")
        #expect(try mode(layout.etc.appendingPathComponent("cellfleet/keys")) == 0o750)

        // systemd-analyze verify, where systemd is installed.
        let unitFiles = ["cellfleet-coordinator.service", "cellfleet-agent.service", "cellfleet-backup.service", "cellfleet-backup.timer"]
            .map { layout.units.appendingPathComponent($0).path }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") {
            let verify = try TestProcess("/usr/bin/systemd-analyze", ["verify"] + unitFiles)
            let status = await verify.waitForExit(timeoutSeconds: 60)
            let complaints = (verify.stdout + verify.stderr).split(separator: "\n").filter { line in
                unitFiles.contains { line.contains(URL(fileURLWithPath: $0).lastPathComponent) }
            }
            #expect(status == 0 && complaints.isEmpty, "systemd-analyze verify: \(verify.stdout)\(verify.stderr)")
        } else {
            print("skipping systemd-analyze verify: systemd-analyze is not installed")
        }

        // Run both services as their units say: their user, their environment, their command.
        let coordinatorUnit = try InstalledUnit(layout.units.appendingPathComponent("cellfleet-coordinator.service"))
        let agentUnit = try InstalledUnit(layout.units.appendingPathComponent("cellfleet-agent.service"))
        #expect(coordinatorUnit.settings["User"] == "cellfleet")
        #expect(agentUnit.settings["User"] == "cellfleet-agent")
        #expect(coordinatorUnit.settings["Restart"] == "on-failure")
        #expect(agentUnit.settings["Restart"] == "on-failure")
        func run(_ unit: InstalledUnit, extra: [String] = []) throws -> TestProcess {
            let user = unit.settings["User"]!, group = unit.settings["Group"] ?? user
            return try TestProcess("/usr/bin/setpriv", [
                "--reuid=\(user)", "--regid=\(group)", "--init-groups", "--reset-env", "--",
                "/bin/sh", "-c", "cd \"$0\" && umask 077 && exec \"$@\"", unit.settings["WorkingDirectory"] ?? "/",
            ] + (try unit.command(extra: extra)))
        }
        let coordinator = try run(coordinatorUnit)
        defer { coordinator.terminate() }
        #expect(await coordinator.waitForStderr("coordinator listening"), "coordinator stderr: \(coordinator.stderr.suffix(2000))")
        // The agent as installed, with simulated channels for the test and a finite run.
        let agent = try run(agentUnit, extra: ["--simulate", "2", "--rate", "20", "--duration", "4"])
        defer { agent.terminate() }
        // Not yet allowed: the agent is refused. The lab engineer copies its public key over.
        #expect(await agent.waitForStderr("refused this agent's key", timeoutSeconds: 60), "agent stderr: \(agent.stderr.suffix(2000))")
        try FileManager.default.copyItem(
            at: layout.etc.appendingPathComponent("cellfleet-agent/keys/cycler-07.key"),
            to: layout.etc.appendingPathComponent("cellfleet/allowed-agents/cycler-07.key"))

        #expect(Self.uid(of: coordinator.pid) == Self.uid(ofUser: "cellfleet"))
        #expect(Self.uid(of: agent.pid) == Self.uid(ofUser: "cellfleet-agent"))
        #expect(Self.uid(of: agent.pid) != 0)
        let status = await agent.waitForExit(timeoutSeconds: 90)
        #expect(status == 0, "agent stderr: \(agent.stderr.suffix(2000))")
        let report = try AgentReport.parse(agent.stdout)
        #expect(report.samples_produced > 0)
        #expect(try database.scalar("SELECT count(*) FROM samples") == report.samples_produced)
        #expect(try database.query("SELECT DISTINCT agent_id FROM tests") == ["cycler-07"])
        // The spool the service wrote is the service user's.
        let spoolFiles = try FileManager.default.contentsOfDirectory(atPath: spool.path)
        #expect(!spoolFiles.isEmpty)
        for file in spoolFiles { #expect(try owner(spool.appendingPathComponent(file)) == "cellfleet-agent") }
    }
}
