import ArgumentParser
import CellfleetAPI
import CellfleetAgent
import CellfleetCoordinator
import CellfleetMetrics
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a coordinator on an embedded database and an agent simulating the reference study's cells; show live ingest and each alert as it commits.",
        discussion: """
            Stops cleanly on Ctrl-C: the agent stops producing, the coordinator stops, the embedded PostgreSQL shuts down.
            With --study, the channels start idle and the coordinator's scheduler runs the study on them (docs/scheduling.md):             `--study paper` is the reference paper's experiment (agents/studies/coating-vs-bare.toml). It stops by itself when             the study is complete and prints what each group came to.
            """)

    @Option(help: "Where the embedded database and the agent's spool live.")
    var dataDir = "/var/tmp/cellfleet-demo"

    @Option(help: "Simulated channels.")
    var channels = 6

    @Option(help: "Samples per second per channel (default 50; 600 with --study).")
    var rate: Double?

    @Option(help: "Simulated test seconds per wall-clock second (default 3000: 50 test hours a minute, a bare cell blows up in about two minutes; 36000 with --study: the paper's 3000 h in five minutes).")
    var speed: Double?

    @Option(help: "Simulator presets the channels cycle through, comma-separated (default: the reference study — coated and bare Li | LGPS | Li at 0.1 mA/cm², a coated full cell).")
    var scenarios = DemoCommand.referenceStudy.joined(separator: ",")

    static let referenceStudy = ["paper-sym-coated-0.1", "paper-sym-bare-0.1", "paper-full-coated"]

    @Option(help: "ZeroMQ port for the coordinator (loopback).")
    var port = 7341

    @Option(help: "Stop by itself after this many seconds (default: run until Ctrl-C).")
    var duration: Double?

    @Option(help: ArgumentHelp(
        "Run a study on the channels through the scheduler: a study file, or the name of a shipped one (`paper`: the reference study, coated vs bare Li | LGPS | Li and coated full cells).",
        valueName: "file|name"))
    var study: String?

    @Option(help: "Serve the HTTP API and the dashboard on HOST:PORT (e.g. 127.0.0.1:8080; port 0: any free port).")
    var http: String?

    @Flag(name: .customLong("insecure-http"), help: "With --http: no tokens (a laptop demo). Without it, make one with `cellfleet token create --database URL` (the URL is printed at start).")
    var insecureHTTP = false

    func validate() throws {
        if let http { do { _ = try APIServerSettings(listen: http) } catch { throw ValidationError("--http: \(error)") } }
        if insecureHTTP && http == nil { throw ValidationError("--insecure-http needs --http HOST:PORT") }
    }

    func run() async throws {
        // 60 s of test time a sample either way.
        let rate = self.rate ?? (study == nil ? 50 : 600), speed = self.speed ?? (study == nil ? 3000 : 36000)
        var logger = Logger(label: "cellfleet.demo")
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        // Before any metric is made: every one is registered (at 0) for /metrics.
        FleetMetrics.bootstrap()
        logger.logLevel = .info
        let root = URL(fileURLWithPath: dataDir).standardizedFileURL
        say("cellfleet demo: \(channels) simulated channels × \(rate) samples/s, data in \(root.path)")
        let database = try DatabaseSetup(url: nil, dataDirectory: root.path, logger: logger)
        defer { database.stop() }
        say("embedded PostgreSQL: \(database.location)")

        let client = PostgresClient(configuration: database.location.clientConfiguration, backgroundLogger: logger)
        var coordinatorConfiguration = CoordinatorConfiguration(listenEndpoint: "tcp://127.0.0.1:\(port)", coordinatorID: "demo")
        coordinatorConfiguration.insecure = true
        coordinatorConfiguration.database = database.location
        let coordinator = Coordinator(configuration: coordinatorConfiguration, client: client, stages: [DetectionStage()], logger: logger)
        var agentConfiguration = AgentConfiguration(
            agentID: "demo-agent", coordinatorEndpoint: "tcp://127.0.0.1:\(port)",
            spoolDirectory: root.appendingPathComponent("spool"))
        agentConfiguration.simulatedChannels = channels
        agentConfiguration.sampleRateHertz = rate
        agentConfiguration.speedFactor = speed
        agentConfiguration.insecure = true
        agentConfiguration.durationSeconds = duration
        agentConfiguration.scenarios = AgentCommand.presets(scenarios)
        let studyRun = try study.map { try DemoStudy.load($0) }
        agentConfiguration.scheduled = studyRun != nil
        do { try agentConfiguration.validate() } catch { throw ValidationError("\(error)") }
        let agent = Agent(configuration: agentConfiguration, logger: logger)

        let monitor = DemoMonitor(agent: agent, coordinator: coordinator, client: client)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: client),
            .init(service: coordinator),
            .init(service: DemoAgentService(agent: agent, coordinator: coordinator), successTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: monitor),
            .init(service: AlertMetricsService(client: client, logger: logger) { await coordinator.waitUntilReady() }),
            .init(service: SampleSummaryService(client: client, logger: logger) { await coordinator.waitUntilReady() }),
        ]
        if let http {
            let settings = try APIServerSettings(listen: http, insecure: insecureHTTP)
            services.append(.init(service: APIService(client: client, settings: settings, logger: logger,
                                                      ready: { await coordinator.waitUntilReady() }) { port in
                say("dashboard: http://\(settings.host):\(port)/ (API: http://\(settings.host):\(port)/api/v1\(settings.insecure ? ", no tokens" : ", bearer tokens"))")
            }))
        }
        if let studyRun {
            say("study \(studyRun.plan.name) (\(studyRun.file.path)): \(studyRun.plan.groups.map { "\($0.name) × \($0.replicates)" }.joined(separator: ", ")), scheduled onto the channels")
            services.append(.init(service: SchedulerService(client: client, settings: .init(), logger: logger) { await coordinator.waitUntilReady() }))
            services.append(.init(service: DemoStudyService(study: studyRun, client: client, coordinator: coordinator, logger: logger),
                                  successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        let counts = coordinator.statistics.snapshot
        let status = await agent.status()
        say("stopped: \(status.samplesProduced) samples produced, \(counts.samplesCommitted) committed this run, \(status.samplesAcked) acknowledged in all")
    }
}

/// Starts the agent once the coordinator listens; Ctrl-C stops it, leaving the unacknowledged
/// rest in its spool.
struct DemoAgentService: Service {
    let agent: Agent
    let coordinator: Coordinator

    func run() async throws {
        await coordinator.waitUntilReady()
        try await agent.run()
    }
}

/// Prints one line a second: ingest rate, totals, lag and spool depth; and each alert once it has
/// committed.
struct DemoMonitor: Service {
    let agent: Agent
    let coordinator: Coordinator
    let client: PostgresClient

    func run() async throws {
        await coordinator.waitUntilReady()
        try? await cancelWhenGracefulShutdown {
            let started = Date()
            var previous = 0
            var lastAlert: Int64 = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(1))
                lastAlert = await printAlerts(after: lastAlert)
                let counts = coordinator.statistics.snapshot
                let status = await agent.status()
                let rate = counts.samplesCommitted - previous
                previous = counts.samplesCommitted
                let line = String(
                    format: "t=%4.0fs  ingest %7d samples/s  committed %9d  acked %9d  lag %5.2fs  spool files %7.1f kB, %d deliveries unacked%@%@",
                    Date().timeIntervalSince(started), rate, counts.samplesCommitted, status.samplesAcked, status.lagSeconds,
                    Double(status.spoolBytes) / 1000, status.unackedDeliveries,
                    status.connected ? "" : "  [not connected]", status.diskFull ? "  [DISK FULL]" : status.backPressured ? "  [SPOOL FULL]" : "")
                say(line)
            }
        }
    }
}

extension DemoMonitor {
    /// The alerts committed since `alertID`, one line each; returns the last one printed.
    func printAlerts(after alertID: Int64) async -> Int64 {
        var last = alertID
        do {
            let rows = try await client.query("""
                SELECT a.alert_id, a.severity, a.rule, a.cell_id, coalesce(t.attributes->>'scenario', ''), coalesce(a.test_time_s, 0),
                       coalesce(a.cycle_index, 0), a.message
                FROM alerts a LEFT JOIN tests t USING (test_id) WHERE a.alert_id > \(alertID) ORDER BY a.alert_id
                """)
            for try await (id, severity, rule, cell, scenario, time, cycle, message) in rows.decode((Int64, String, String, String?, String, Double, Int, String).self) {
                last = id
                say(String(format: "ALERT %@ %@  cell %@ (%@)  at %.1f h, cycle %d: %@",
                           severity.uppercased(), rule, cell ?? "-", scenario, time / 3600, cycle, message))
            }
        } catch {
            say("could not read alerts: \(error)")
        }
        return last
    }
}

/// Unbuffered, so the demo's lines appear as they happen even when piped.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
