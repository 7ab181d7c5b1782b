import AlertDelivery
import ArgumentParser
import CellfleetAPI
import CellfleetMetrics
import CellfleetCoordinator
import CellfleetMetrics
import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run the coordinator: persist samples to PostgreSQL and acknowledge them after COMMIT.")

    @Option(help: "PostgreSQL URL, e.g. postgres://cellfleet@db:5432/cellfleet or postgres://postgres@localhost/cellfleet?host=/run/postgresql. Without it, an embedded cluster is started under --data-dir.")
    var database: String?

    @Option(help: "ZeroMQ endpoint to bind for agents.")
    var listen = "tcp://0.0.0.0:7341"

    @Option(help: "Directory for the coordinator's own state (the embedded database lives here).")
    var dataDir = "cellfleet-data"

    @Option(help: "Directory of the schema (schemas/ or schemas/migrations); found automatically when omitted.")
    var schemas: String?

    @Option(help: "Deliveries an agent may have unacknowledged at once.")
    var credit: UInt32 = 64

    @Option(help: "The coordinator's CURVE key pair, NAME.key_secret (from `cellfleet keygen`).")
    var key: String?

    @Option(help: "Directory of the allowed agents' public keys (NAME.key; NAME is the agent id). Changes apply within a second, without a restart.")
    var allow: String?

    @Option(help: "Keep raw samples for this many days (whole days, UTC), then drop their partitions; per-cycle summaries, alerts and tests are kept. Default: keep forever.")
    var retainSamplesDays: Int?

    @Option(help: "Compact raw samples into exact columnar chunks once their UTC day ended this many days ago (docs/compaction.md).")
    var compactAfterDays: Double = 1

    @Flag(inversion: .prefixedNo, help: "Compact old samples (the first pass --compact-first-after-seconds after start, then hourly).")
    var compact = true

    @Option(help: "Seconds after start before the first compaction pass.")
    var compactFirstAfterSeconds: Double = 600

    @Flag(help: "Accept agents without CURVE: no authentication, no encryption (explicit opt-out).")
    var insecure = false

    @Flag(inversion: .prefixedNo, help: "Run the failure detectors on every committed sample (alerts, cycle summaries, checkpoints in the same transaction).")
    var detection = true

    /// Tests shorten the minute after which an unconfirmed stop is said so on its alert.
    @Option(help: .hidden)
    var stopConfirmSeconds: Double?

    @Option(name: .customLong("alertmanager"), help: ArgumentHelp(
        "Send alerts to this Alertmanager (its base URL, e.g. http://127.0.0.1:9093; POST /api/v2/alerts). Repeatable.",
        valueName: "url"))
    var alertmanagers: [String] = []

    @Option(name: .customLong("webhook"), help: ArgumentHelp("POST each alert state change to this URL as JSON (docs/live-detection.md §4). Repeatable.", valueName: "url"))
    var webhooks: [String] = []

    @Option(name: .customLong("webhook-secret-file"), help: ArgumentHelp(
        "Sign webhook bodies with HMAC-SHA256 of this file's secret (header X-Cellfleet-Signature: sha256=HEX). Once for every --webhook, or once per --webhook in the same order.",
        valueName: "file"))
    var webhookSecretFiles: [String] = []

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "A TOML file of alert receivers: [[alertmanager]] url = …; [[webhook]] url = …, secret_file = … (docs/live-detection.md §4).",
        valueName: "file.toml"))
    var configFile: String?

    // Hidden: the delivery periods, shortened by the end-to-end tests.
    @Option(help: .hidden) var alertPollSeconds: Double = 2
    @Option(help: .hidden) var alertRetryInitialSeconds: Double = 1
    @Option(help: .hidden) var alertRetryMaximumSeconds: Double = 60
    @Option(help: .hidden) var alertRejectedRetrySeconds: Double = 600
    @Option(help: .hidden) var alertmanagerRepostSeconds: Double = 60
    @Option(help: .hidden) var alertClaimLeaseSeconds: Double = 30
    @Option(help: .hidden) var alertRequestTimeoutSeconds: Double = 10

    /// The receivers of the flags and the config file, and how to work them.
    func alertDeliveryConfiguration(coordinatorID: String) throws -> AlertDeliveryConfiguration {
        do {
            let fromFlags = try AlertReceiverConfiguration.fromFlags(
                alertmanagers: alertmanagers, webhooks: webhooks, webhookSecretFiles: webhookSecretFiles)
            let fromFile = try configFile.map { try AlertReceiverConfiguration.load(tomlFile: URL(fileURLWithPath: $0)) } ?? []
            var delivery = AlertDeliveryConfiguration(receivers: try AlertReceiverConfiguration.merged(fromFlags, fromFile), coordinatorID: coordinatorID)
            delivery.pollSeconds = alertPollSeconds
            delivery.retry.schedule.initialSeconds = alertRetryInitialSeconds
            delivery.retry.schedule.maximumSeconds = alertRetryMaximumSeconds
            delivery.retry.rejectedRetrySeconds = alertRejectedRetrySeconds
            delivery.repost.intervalSeconds = alertmanagerRepostSeconds
            delivery.claimLeaseSeconds = alertClaimLeaseSeconds
            delivery.requestTimeoutSeconds = alertRequestTimeoutSeconds
            try delivery.validate()
            return delivery
        } catch {
            throw ValidationError("\(error)")
        }
    }

    // Fleet health (docs/live-detection.md §3): the limits by default; tests shorten them.
    @Option(help: ArgumentHelp("F1: a running test silent for longer than max(10 × its usual interval, this) is reported.", visibility: .hidden))
    var healthTestSilentMinSeconds: Double = 300

    @Option(help: ArgumentHelp("F2: an agent with running tests unheard for longer than this is reported.", visibility: .hidden))
    var healthAgentLostSeconds: Double = 120

    @Option(help: ArgumentHelp("F3: samples stamped more than this ahead of the coordinator's clock are reported.", visibility: .hidden))
    var healthClockAheadSeconds: Double = 300

    @Option(help: ArgumentHelp("How often the fleet-health rules are evaluated.", visibility: .hidden))
    var healthIntervalSeconds: Double = 10

    @Option(help: "Scheduling delay: how often the scheduler fills free channels from the queue (docs/scheduling.md §4).")
    var scheduleInterval: Double = 2

    @Option(help: "A load request to a person expires after this many hours; the cell goes back to the queue.")
    var loadTimeoutHours: Double = 24

    @Flag(inversion: .prefixedNo, help: "Run the scheduler: queued cells onto free channels, replacements, study progress.")
    var scheduler = true

    @Option(help: "Also serve the HTTP API, /metrics and the dashboard on HOST:PORT (as `cellfleet api`; port 0: any free port).")
    var http: String?

    @Flag(name: .customLong("insecure-http"), help: "With --http: no tokens, anyone who reaches the port may read and change alerts. For a laptop demo only.")
    var insecureHTTP = false

    @Option(help: .hidden) var startTimeoutSeconds: Double = 300
    @Option(help: .hidden) var offlineAfterSeconds: Double = 60

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        // Before any metric is made: every one is registered (at 0) for /metrics.
        FleetMetrics.bootstrap()
        let logger = Logger(label: "cellfleet.coordinator")
        let httpSettings: APIServerSettings?
        do { httpSettings = try http.map { try APIServerSettings(listen: $0, insecure: insecureHTTP) } } catch {
            throw ValidationError("--http: \(error)")
        }
        if insecureHTTP && http == nil { throw ValidationError("--insecure-http needs --http HOST:PORT") }
        var configuration = CoordinatorConfiguration(listenEndpoint: listen)
        configuration.insecure = insecure
        configuration.serverKeyFile = key.map { URL(fileURLWithPath: $0) }
        configuration.allowDirectory = allow.map { URL(fileURLWithPath: $0) }
        do { try configuration.validateAuthentication() } catch { throw ValidationError("\(error)") }
        var partitions = SamplePartitionPolicy()
        partitions.retainSamplesDays = retainSamplesDays
        do { try partitions.validate() } catch { throw ValidationError("\(error)") }
        guard compactAfterDays.isFinite, compactAfterDays >= 0 else { throw ValidationError("--compact-after-days must be 0 or more") }
        var compaction = SampleCompactionPolicy()
        compaction.olderThanSeconds = compactAfterDays * 86_400
        guard compactFirstAfterSeconds.isFinite, compactFirstAfterSeconds >= 0 else { throw ValidationError("--compact-first-after-seconds must be 0 or more") }
        compaction.firstPassDelaySeconds = compactFirstAfterSeconds
        // Host and process: two coordinators on one machine are told apart on the outbox rows.
        let delivery = try alertDeliveryConfiguration(coordinatorID: "\(configuration.coordinatorID)/\(ProcessInfo.processInfo.processIdentifier)")

        var health = FleetHealthService.Settings()
        health.limits.testSilentMinimumSeconds = healthTestSilentMinSeconds
        health.limits.agentLostSeconds = healthAgentLostSeconds
        health.limits.clockAheadSeconds = healthClockAheadSeconds
        health.intervalSeconds = healthIntervalSeconds
        do { try health.limits.validate() } catch { throw ValidationError("\(error)") }
        guard healthIntervalSeconds > 0, healthIntervalSeconds.isFinite else { throw ValidationError("--health-interval-seconds must be positive") }
        // Presence is written a few times within F2's limit, at most every 5 s.
        configuration.presenceWriteSeconds = min(5, healthAgentLostSeconds / 4)
        var scheduling = SchedulerService.Settings()
        for (name, value) in [("--schedule-interval", scheduleInterval), ("--load-timeout-hours", loadTimeoutHours),
                              ("--start-timeout-seconds", startTimeoutSeconds), ("--offline-after-seconds", offlineAfterSeconds)] {
            guard value > 0, value.isFinite else { throw ValidationError("\(name) must be a positive number of seconds") }
        }
        scheduling.intervalSeconds = scheduleInterval
        scheduling.loadTimeoutSeconds = loadTimeoutHours * 3600
        scheduling.startTimeoutSeconds = startTimeoutSeconds
        scheduling.offlineAfterSeconds = offlineAfterSeconds
        let database = try DatabaseSetup(url: database, dataDirectory: dataDir, logger: logger)
        defer { database.stop() }
        configuration.schemasDirectory = schemas
        configuration.database = database.location
        configuration.credit = credit
        if let stopConfirmSeconds { configuration.commandDispatch.confirmWithinSeconds = stopConfirmSeconds }
        let client = PostgresClient(configuration: database.location.clientConfiguration, backgroundLogger: logger)
        let stages: [any CommitStage] = detection ? [DetectionStage()] : []
        let coordinator = Coordinator(configuration: configuration, client: client, stages: stages, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [
                .init(service: client),
                .init(service: coordinator, successTerminationBehavior: .gracefullyShutdownGroup,
                      failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: SamplePartitionService(client: client, policy: partitions, logger: logger)),
                // With --no-compact it returns at once, which must not end the coordinator.
                .init(service: SampleCompactionService(client: client, policy: compact ? compaction : nil, logger: logger),
                      successTerminationBehavior: .ignore),
                .init(service: AlertDeliveryService(
                    configuration: delivery, client: client, ready: { await coordinator.waitUntilReady() },
                    logger: Logger(label: "cellfleet.alert-delivery")),
                      successTerminationBehavior: .ignore),
                .init(service: FleetHealthService(client: client, settings: health, logger: logger) { await coordinator.waitUntilReady() }),
                .init(service: AlertMetricsService(client: client, logger: logger) { await coordinator.waitUntilReady() }),
                .init(service: SampleSummaryService(client: client, logger: Logger(label: "cellfleet.sample-summary")) {
                    await coordinator.waitUntilReady()
                }),
            ] + (scheduler ? [.init(service: SchedulerService(
                client: client, settings: scheduling, logger: Logger(label: "cellfleet.scheduler")) { await coordinator.waitUntilReady() })] : [])
              + (httpSettings.map { settings in
                  [.init(service: APIService(client: client, settings: settings, logger: Logger(label: "cellfleet.http"),
                                             ready: { await coordinator.waitUntilReady() }) { port in
                      logger.notice("HTTP API and dashboard", metadata: ["url": "http://\(settings.host):\(port)/"])
                  }, failureTerminationBehavior: .gracefullyShutdownGroup)]
              } ?? []),
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}

/// The database to use: the given URL, or an embedded cluster started for this process (and
/// stopped with it if this process started it).
struct DatabaseSetup {
    let location: DatabaseLocation
    let embedded: EmbeddedPostgres?
    let startedHere: Bool
    let logger: Logger

    init(url: String?, dataDirectory: String, logger: Logger) throws {
        self.logger = logger
        if let url {
            location = try DatabaseLocation(url: url)
            embedded = nil
            startedHere = false
        } else {
            let root = URL(fileURLWithPath: dataDirectory).appendingPathComponent("postgres").standardizedFileURL
            let embedded = EmbeddedPostgres(rootDirectory: root, logger: logger)
            startedHere = try embedded.start()
            location = try DatabaseLocation(url: embedded.url)
            self.embedded = embedded
            logger.info("using the embedded PostgreSQL cluster", metadata: ["url": "\(embedded.url)"])
        }
    }

    func stop() {
        guard let embedded, startedHere else { return }
        do { try embedded.stop() } catch { logger.error("could not stop the embedded PostgreSQL", metadata: ["error": "\(error)"]) }
    }
}

/// Keeps `samples` partitioned ahead of time and applies the retention setting, every
/// `policy.intervalSeconds` (retrying sooner until the coordinator has migrated the schema).
struct SamplePartitionService: Service {
    let client: PostgresClient
    let policy: SamplePartitionPolicy
    let logger: Logger

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            await SamplePartitionMaintenance(policy: policy).run(client: client, logger: logger)
        }
    }
}

/// Compacts old samples into `sample_chunks` (`--compact-after-days`), unless `--no-compact`.
struct SampleCompactionService: Service {
    let client: PostgresClient
    let policy: SampleCompactionPolicy?
    let logger: Logger

    func run() async throws {
        guard let policy else { return }
        try await cancelWhenGracefulShutdown {
            await SampleCompactionPass(policy: policy).run(client: client, logger: logger)
        }
    }
}
