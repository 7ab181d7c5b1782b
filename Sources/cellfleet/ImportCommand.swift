import ArgumentParser
import CellfleetAgent
import CyclerReaders
import FileFollowing
import Foundation
import Logging
import ServiceLifecycle

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Backfill finished cycler files: send them through the agent's spool, wait until acknowledged.",
        discussion: """
            Each file (or multi-part experiment) is one test, identified as the agent identifies a watched file: \
            by the agent id, the path relative to --relative-to (default: the file's own folder) and its first \
            record. Importing a file already sent adds nothing; importing a file an agent watched, with the same \
            agent id and relative path, continues that agent's test. Each test ends ("imported") once its file is \
            read. Prints the agent's JSON summary line on stdout (files_read, files_quarantined, …) and exits 2 if a file \
            was quarantined (the others are sent regardless); a progress \
            bar goes to stderr on a terminal, plain lines otherwise.
            """)

    @Argument(help: "Cycler files (text exports or binary).")
    var files: [String]

    @Option(help: "Coordinator endpoint, e.g. tcp://coordinator:7341.")
    var coordinator: String

    @Option(help: "Spool directory (created if missing); the agent's own spool makes a repeated import send nothing.")
    var spool: String

    @Option(help: "This agent's CURVE key pair, NAME.key_secret; NAME is the agent id.")
    var key: String?

    @Option(help: "The coordinator's public key, FILE.key.")
    var serverKey: String?

    @Flag(help: "Connect without CURVE: no authentication, no encryption (explicit opt-out).")
    var insecure = false

    @Option(help: "The agent id (default: the name of --key, else the host name), as the watching agent's.")
    var agentID: String?

    @Option(help: "Test ids use each file's path relative to this folder (default: the file's own folder).")
    var relativeTo: String?

    @Option(help: "Use this cycler profile instead of detecting one.")
    var profile: String?

    @Option(help: "Directory of cycler profiles searched first.")
    var profiles: String?

    @Option(help: "The instrument's IANA time zone, for files whose clock has none.")
    var timeZone: String?

    @Option(help: "Channel id: fixed, or a regular expression whose first group takes it from the file name (default: the file's stem).")
    var channel: String?

    @Option(help: "What a fail alert does to these tests: notify (default) or stop.")
    var onFail: AgentConfiguration.OnFail?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .notice
            return handler
        }
        let logger = Logger(label: "cellfleet.import")
        var configuration = AgentConfiguration(
            agentID: ProcessInfo.processInfo.hostName, coordinatorEndpoint: coordinator, spoolDirectory: URL(fileURLWithPath: spool))
        if let key {
            configuration.keyFile = URL(fileURLWithPath: key)
            configuration.agentID = AgentCredentials.agentID(forKeyFile: URL(fileURLWithPath: key))
        }
        if let serverKey { configuration.serverKeyFile = URL(fileURLWithPath: serverKey) }
        if let agentID { configuration.agentID = agentID }
        configuration.insecure = insecure
        configuration.onFail = onFail
        configuration.importing = true
        configuration.cyclerMake = "imported"
        configuration.cyclerModel = ""
        configuration.profiles = try ProfileLibrary.standard(explicitDirectory: profiles)
        let rule: ChannelRule
        do { rule = try ChannelRule(setting: channel) } catch { throw ValidationError(error.description) }
        configuration.watches = try Self.folders(for: files, relativeTo: relativeTo).map { directory, names in
            var watch = WatchedFolder(directory: directory)
            watch.onlyFiles = names
            watch.profile = profile
            watch.timeZone = timeZone
            watch.channel = rule
            watch.settleSeconds = 0
            return watch
        }
        let agent = Agent(configuration: try AgentService.validated(configuration, logger: logger), logger: logger)
        let progress = Task { await ImportProgress.report(agent: agent) }
        defer { progress.cancel() }
        let summary = try await AgentService.run(agent, logger: logger)
        progress.cancel()
        _ = await progress.value
        if let summary {
            print(summary.jsonLine())
            if summary.filesQuarantined > 0 { throw ExitCode(2) }
        }
    }

    /// The files grouped by the folder their test ids are relative to.
    static func folders(for files: [String], relativeTo: String?) throws -> [(URL, [String])] {
        var grouped: [String: [String]] = [:]
        for file in files {
            let absolute = URL(fileURLWithPath: file).standardizedFileURL
            guard FileManager.default.fileExists(atPath: absolute.path) else { throw ValidationError("\(file): no such file") }
            if let relativeTo {
                let base = URL(fileURLWithPath: relativeTo).standardizedFileURL.path
                let prefix = base.hasSuffix("/") ? base : base + "/"
                guard absolute.path.hasPrefix(prefix) else { throw ValidationError("\(file) is not inside --relative-to \(relativeTo)") }
                grouped[base, default: []].append(String(absolute.path.dropFirst(prefix.count)))
            } else {
                grouped[absolute.deletingLastPathComponent().path, default: []].append(absolute.lastPathComponent)
            }
        }
        return grouped.keys.sorted().map { (URL(fileURLWithPath: $0), grouped[$0]!.sorted()) }
    }
}

