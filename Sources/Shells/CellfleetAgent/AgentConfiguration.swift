import AgentSpool
import Foundation
import CellSimulator
import CyclerReaders
import DeliveryProtocol
import TOMLKit
import WireProtocol

/// Everything an agent needs to run. Built from a TOML file (see `agents/simulated-16.toml`) and
/// overridden by command-line flags for quick runs.
public struct AgentConfiguration: Sendable {
    public var agentID: String
    public var coordinatorEndpoint: String
    public var spoolDirectory: URL
    public var spoolCapacityBytes: Int = 1 << 30
    /// Tests only: the spool's file operations made to fail (a full disk without filling one).
    public var spoolFaults: SpoolFaultInjection?
    /// Simulated channels (the first source); 0 = none.
    public var simulatedChannels: Int = 0
    /// The simulated channels start idle and run only what the coordinator starts on them
    /// (StartTest commands from the scheduler); the agent runs until stopped or `durationSeconds`.
    public var scheduled = false
    /// Samples per second per channel, in wall-clock time.
    public var sampleRateHertz: Double = 1
    /// Simulated test seconds per wall-clock second.
    public var speedFactor: Double = 1
    /// How long to produce, then end the tests and wait until everything is acknowledged.
    /// nil = until stopped.
    public var durationSeconds: Double?
    /// Produce as fast as possible instead of in wall-clock time (benchmarks); then
    /// `samplesPerChannel` bounds the run.
    public var unpaced = false
    public var samplesPerChannel: Int?
    public var seed: UInt64 = 1
    /// Simulator presets the simulated channels cycle through (`cellfleet simulate --list`).
    public var scenarios: [String] = SimulatedChannel.defaultScenarios
    /// Test hours a new test of a preset produces at once before pacing in wall-clock time, by
    /// preset: plants a preset's failure minutes, not days, into a paced run (benchmarks of
    /// alert latency at 1 Hz). The head start's samples carry the wall time they were taken.
    public var headStartHours: [String: Double] = [:]
    public var flushIntervalSeconds: Double = 0.1
    public var maximumBatchSamples: Int = 5000
    public var acknowledgementTimeoutSeconds: Double = 5
    public var insecure = false
    /// This agent's CURVE key pair (`NAME.key_secret`); NAME is the agent id. Required unless `insecure`.
    public var keyFile: URL?
    /// The coordinator's public key (`NAME.key`). Required unless `insecure`.
    public var serverKeyFile: URL?
    /// The wire protocol versions this agent offers in hello.
    public var supportedProtocolVersions: ClosedRange<UInt32> = WireProtocol.supportedVersions
    /// What a fail alert does to the tests this agent starts (`tests.attributes.on_fail`), unless
    /// the cell says otherwise. nil leaves the attribute out: the coordinator's default, notify.
    public var onFail: OnFail?
    /// Added to the unix time the simulated channels stamp their samples with: a cycler whose
    /// clock is off, for testing the coordinator's F3 (clock ahead). 0 in production.
    public var sampleClockOffsetSeconds: Double = 0
    /// The first simulated channel stops producing this long after the agent started while its
    /// test stays running and the agent connected: a stalled cycler, for testing the
    /// coordinator's F1 (test silent). nil in production.
    public var silenceFirstChannelAfterSeconds: Double?
    public var cyclerMake = "simulated"
    public var cyclerModel = "cellfleet-sim"
    /// Export folders whose files the agent follows (docs/file-sources.md).
    public var watches: [WatchedFolder] = []
    /// Channels announced before any file names them.
    public var declaredChannels: [DeclaredChannel] = []
    /// Finish once every watched file is read and acknowledged and nothing changed for this long.
    public var exitWhenIdleSeconds: Double?
    /// `cellfleet import`: the files are finished, so every unterminated last line counts at once,
    /// each test ends ("imported") when its file is read, and the agent finishes when all is
    /// acknowledged.
    public var importing = false
    /// The cycler profiles files are read with (the executable resolves the search path).
    public var profiles = ProfileLibrary(profiles: [])

    /// The delivery rules this configuration asks for.
    public var deliveryRules: AgentDeliveryRules {
        var rules = AgentDeliveryRules(supportedProtocolVersions: supportedProtocolVersions)
        rules.acknowledgementTimeout = .milliseconds(Int64((acknowledgementTimeoutSeconds * 1000).rounded()))
        return rules
    }

    /// A bare-lithium cell blowing up may be the experiment's result: stopping is opt-in.
    public enum OnFail: String, Sendable, CaseIterable {
        case notify
        case stop
    }

    public init(agentID: String, coordinatorEndpoint: String, spoolDirectory: URL) {
        self.agentID = agentID
        self.coordinatorEndpoint = coordinatorEndpoint
        self.spoolDirectory = spoolDirectory
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads a TOML agent configuration. Unknown keys are an error, not silently ignored: a
    /// misspelt `spool_capacity_mb` must not leave the default in force unnoticed.
    public static func load(tomlFile url: URL) throws -> AgentConfiguration {
        let text = try String(contentsOf: url, encoding: .utf8)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch {
            throw Invalid(description: "\(url.path): not valid TOML: \(error)")
        }
        func string(_ t: TOMLTable, _ key: String) -> String? { t[key]?.string }
        func number(_ t: TOMLTable, _ key: String) -> Double? { t[key]?.double ?? t[key]?.int.map(Double.init) }

        let known: Set<String> = ["agent_id", "key", "coordinator", "spool", "simulate", "cycler", "on_fail", "watch", "channel"]
        if let unknown = table.keys.first(where: { !known.contains($0) }) {
            throw Invalid(description: "\(url.path): unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        func path(_ text: String) -> URL { URL(fileURLWithPath: text, relativeTo: url.deletingLastPathComponent()).standardizedFileURL }
        let keyFile = string(table, "key").map(path)
        // With a key, the key's name is the agent id (the coordinator knows it by that name).
        guard let agentID = string(table, "agent_id") ?? keyFile.map({ AgentCredentials.agentID(forKeyFile: $0) }) else {
            throw Invalid(description: "\(url.path): agent_id (or key) is required")
        }
        guard let coordinator = table["coordinator"]?.table, let endpoint = string(coordinator, "endpoint") else {
            throw Invalid(description: "\(url.path): [coordinator] endpoint is required")
        }
        guard let spool = table["spool"]?.table, let directory = string(spool, "directory") else {
            throw Invalid(description: "\(url.path): [spool] directory is required")
        }
        var configuration = AgentConfiguration(
            agentID: agentID, coordinatorEndpoint: endpoint,
            spoolDirectory: URL(fileURLWithPath: directory, relativeTo: url.deletingLastPathComponent()).standardizedFileURL)
        configuration.insecure = coordinator["insecure"]?.bool ?? false
        configuration.keyFile = keyFile
        configuration.serverKeyFile = string(coordinator, "server_key").map(path)
        if let megabytes = number(spool, "capacity_mb") { configuration.spoolCapacityBytes = Int(megabytes * 1_048_576) }
        if let simulate = table["simulate"]?.table {
            configuration.simulatedChannels = Int(number(simulate, "channels") ?? 0)
            configuration.sampleRateHertz = number(simulate, "rate_hz") ?? 1
            configuration.speedFactor = number(simulate, "speed") ?? 1
            configuration.seed = UInt64(number(simulate, "seed") ?? 1)
            configuration.scheduled = simulate["scheduled"]?.bool ?? false
            if let scenarios = simulate["scenarios"]?.array {
                configuration.scenarios = scenarios.compactMap { $0.string }
            }
        }
        if let onFail = table["on_fail"] {
            guard let text = onFail.string, let value = OnFail(rawValue: text) else {
                throw Invalid(description: "\(url.path): on_fail must be \"notify\" or \"stop\"")
            }
            configuration.onFail = value
        }
        if let cycler = table["cycler"]?.table {
            configuration.cyclerMake = string(cycler, "make") ?? configuration.cyclerMake
            configuration.cyclerModel = string(cycler, "model") ?? configuration.cyclerModel
        }
        if let watches = table["watch"] {
            guard let array = watches.array else { throw Invalid(description: "\(url.path): watch must be [[watch]] tables") }
            for element in array {
                guard let watch = element.table else { throw Invalid(description: "\(url.path): watch must be [[watch]] tables") }
                configuration.watches.append(try WatchedFolder.parse(watch, base: url.deletingLastPathComponent(), file: url.path))
            }
        }
        if let channels = table["channel"] {
            guard let array = channels.array else { throw Invalid(description: "\(url.path): channel must be [[channel]] tables") }
            for element in array {
                guard let channel = element.table else { throw Invalid(description: "\(url.path): channel must be [[channel]] tables") }
                configuration.declaredChannels.append(try DeclaredChannel.parse(channel, file: url.path))
            }
        }
        try configuration.validate()
        return configuration
    }

    public func validate() throws {
        guard !agentID.isEmpty, agentID.utf8.count <= 255 else { throw Invalid(description: "the agent id must be 1–255 bytes") }
        guard sampleRateHertz > 0, sampleRateHertz.isFinite else { throw Invalid(description: "the sample rate must be positive") }
        guard speedFactor > 0, speedFactor.isFinite else { throw Invalid(description: "the speed factor must be positive") }
        guard spoolCapacityBytes >= 64 << 10 else { throw Invalid(description: "the spool capacity must be at least 64 KiB") }
        if simulatedChannels > 0 {
            guard !scenarios.isEmpty else { throw Invalid(description: "no simulator scenarios given") }
            for scenario in scenarios where ScenarioCatalog.preset(named: scenario) == nil {
                throw Invalid(description: "unknown simulator scenario '\(scenario)' (see `cellfleet simulate --list`)")
            }
        }
        if let durationSeconds, !(durationSeconds >= 0) { throw Invalid(description: "the duration must not be negative") }
        if let exitWhenIdleSeconds, !(exitWhenIdleSeconds >= 0) { throw Invalid(description: "--exit-when-idle must not be negative") }
        for watch in watches { try watch.validate() }
        let declared = declaredChannels.map(\.channelID)
        if let twice = declared.first(where: { id in declared.filter { $0 == id }.count > 1 }) {
            throw Invalid(description: "channel \(twice) is declared twice")
        }
        for (scenario, hours) in headStartHours {
            guard ScenarioCatalog.preset(named: scenario) != nil else { throw Invalid(description: "head start for an unknown simulator scenario '\(scenario)'") }
            guard hours >= 0, hours.isFinite else { throw Invalid(description: "the head start of scenario \(scenario) must be a non-negative number of hours") }
        }
    }
}
