import ArgumentParser
import FileFollowing
import CellfleetAgent
import CyclerReaders
import Foundation
import Logging
import ServiceLifecycle

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run the agent beside a cycler: spool every sample and stream it to the coordinator.",
        discussion: """
            When it has produced for --duration seconds it ends its tests, waits until the coordinator has \
            acknowledged every spooled sample, prints one JSON line (samples_produced, samples_acked, …) on \
            stdout and exits 0. Totals count across restarts on the same spool.
            """)

    @Option(help: "Agent configuration file (TOML); flags override it.")
    var config: String?

    @Option(help: "This agent's id (default: the name of its --key, else the host name).")
    var agentID: String?

    @Option(help: "This agent's CURVE key pair, NAME.key_secret (from `cellfleet keygen`); NAME is the agent id.")
    var key: String?

    @Option(help: "The coordinator's public key, FILE.key.")
    var serverKey: String?

    @Option(help: "Coordinator endpoint, e.g. tcp://coordinator:7341.")
    var coordinator: String?

    @Option(help: "Spool directory (created if missing).")
    var spool: String?

    @Option(help: "Spool capacity in MiB; when full the agent stops taking samples (nothing is dropped).")
    var spoolCapacityMb: Double?

    @Option(help: "Number of simulated channels.")
    var simulate: Int?

    @Flag(help: "The simulated channels start idle and run only what the coordinator starts on them (the scheduler's StartTest commands); the agent runs until stopped or --duration.")
    var scheduled = false

    @Option(help: "Simulator presets the simulated channels cycle through, comma-separated (e.g. 1,4,10,9; `cellfleet simulate --list`).")
    var scenarios: String?

    @Option(help: "Samples per second per channel (wall-clock time).")
    var rate: Double?

    @Option(help: "Simulated test seconds per wall-clock second.")
    var speed: Double?

    @Option(help: "Produce for this many seconds, then finish (default: run until stopped).")
    var duration: Double?

    @Option(help: "Seed of the simulated channels.")
    var seed: UInt64?

    @Option(help: "What a fail alert does to the tests this agent starts: notify (default) or stop (the coordinator stops the channel). A cell's own on_fail attribute wins.")
    var onFail: AgentConfiguration.OnFail?

    @Option(name: .customLong("head-start"), help: .hidden)
    var headStarts: [String] = []

    @Flag(help: "Connect without CURVE: no authentication, no encryption (explicit opt-out).")
    var insecure = false

    @Option(name: .customLong("watch"), help: "Follow the cycler export files in this folder as they grow (repeatable; docs/file-sources.md). [[watch]] tables in --config set more.")
    var watchDirectories: [String] = []

    @Option(help: "Exit 0 once every watched file is read and acknowledged and nothing changed for this many seconds.")
    var exitWhenIdle: Double?

    @Option(help: "Seconds between scans of each watched folder (inotify wakes a scan sooner where it works; default 5).")
    var pollSeconds: Double?

    @Option(help: "Seconds a file must stay unchanged before its unterminated last line counts or a rewritten file is re-read (default 10).")
    var settleSeconds: Double?

    @Option(help: "Hours without growth after which a followed file's test ends (default 24).")
    var idleEndHours: Double?

    @Option(help: "Directory of cycler profiles searched first (see `cellfleet inspect --help`).")
    var profiles: String?

    @Option(help: ArgumentHelp("Stamp the simulated samples this many seconds off the host's clock (tests of the coordinator's F3).", visibility: .hidden))
    var sampleClockOffsetSeconds: Double?

    @Option(help: ArgumentHelp("The first simulated channel stops producing after this many seconds, its test left running (tests of the coordinator's F1).", visibility: .hidden))
    var silenceFirstChannelAfterSeconds: Double?

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "cellfleet.agent")
        var configuration: AgentConfiguration
        if let config {
            configuration = try AgentConfiguration.load(tomlFile: URL(fileURLWithPath: config))
        } else {
            guard let coordinator, let spool else {
                throw ValidationError("give --config FILE, or at least --coordinator and --spool")
            }
            configuration = AgentConfiguration(
                agentID: ProcessInfo.processInfo.hostName, coordinatorEndpoint: coordinator,
                spoolDirectory: URL(fileURLWithPath: spool))
        }
        if let key {
            configuration.keyFile = URL(fileURLWithPath: key)
            configuration.agentID = AgentCredentials.agentID(forKeyFile: URL(fileURLWithPath: key))
        }
        if let serverKey { configuration.serverKeyFile = URL(fileURLWithPath: serverKey) }
        if let agentID { configuration.agentID = agentID }
        if let coordinator { configuration.coordinatorEndpoint = coordinator }
        if let spool { configuration.spoolDirectory = URL(fileURLWithPath: spool) }
        if let spoolCapacityMb { configuration.spoolCapacityBytes = Int(spoolCapacityMb * 1_048_576) }
        if let simulate { configuration.simulatedChannels = simulate }
        if scheduled { configuration.scheduled = true }
        if let scenarios { configuration.scenarios = Self.presets(scenarios) }
        if let rate { configuration.sampleRateHertz = rate }
        if let speed { configuration.speedFactor = speed }
        if let duration { configuration.durationSeconds = duration }
        if let seed { configuration.seed = seed }
        if let onFail { configuration.onFail = onFail }
        for headStart in headStarts {
            // SCENARIO=HOURS: test hours a new test of that preset produces at once before pacing.
            let parts = headStart.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let hours = Double(parts[1]) else { throw ValidationError("--head-start takes SCENARIO=HOURS, not '\(headStart)'") }
            configuration.headStartHours[parts[0]] = hours
        }
        if insecure { configuration.insecure = true }
        if let sampleClockOffsetSeconds { configuration.sampleClockOffsetSeconds = sampleClockOffsetSeconds }
        if let silenceFirstChannelAfterSeconds { configuration.silenceFirstChannelAfterSeconds = silenceFirstChannelAfterSeconds }
        for directory in watchDirectories { configuration.watches.append(WatchedFolder(directory: URL(fileURLWithPath: directory))) }
        for index in configuration.watches.indices {
            if let pollSeconds { configuration.watches[index].pollSeconds = pollSeconds }
            if let settleSeconds { configuration.watches[index].settleSeconds = settleSeconds }
            if let idleEndHours { configuration.watches[index].idleEndHours = idleEndHours }
        }
        if let exitWhenIdle { configuration.exitWhenIdleSeconds = exitWhenIdle }
        if !configuration.watches.isEmpty { configuration.profiles = try ProfileLibrary.standard(explicitDirectory: profiles) }
        let agent = Agent(configuration: try AgentService.validated(configuration, logger: logger), logger: logger)
        if let summary = try await AgentService.run(agent, logger: logger) {
            print(summary.jsonLine())
        }
    }
}

extension AgentConfiguration.OnFail: ExpressibleByArgument {}

extension AgentCommand {
    /// A `--scenarios` list: simulator presets, comma-separated, spaces around them ignored.
    static func presets(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
