import CellModel
import FileFollowing
import Foundation
import TOMLKit

/// An export folder the agent follows (`--watch DIR`, or a `[[watch]]` table): which files, read
/// how, on which channel, describing which cell (docs/file-sources.md).
public struct WatchedFolder: Sendable {
    public var directory: URL
    public var filter = WatchedFileFilter()
    /// A profile forced by name; nil detects it from each file's content, as `inspect` does.
    public var profile: String?
    /// The instrument's IANA time zone, for files whose clock carries none.
    public var timeZone: String?
    public var channel = ChannelRule.stem
    /// The cell a file describes when neither its sidecar nor its header says otherwise.
    public var cellDefaults = CellSidecar()
    public var pollSeconds: Double = 5
    public var settleSeconds: Double = 10
    public var idleEndHours: Double = 24
    public var recursive = true
    /// Only these files (paths relative to `directory`): `cellfleet import`'s files, not a scan.
    public var onlyFiles: [String]?

    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    var followTiming: FileFollowRules.Timing {
        FileFollowRules.Timing(settleSeconds: settleSeconds, idleEndSeconds: idleEndHours * 3600)
    }

    static let knownKeys = [
        "directory", "pattern", "profile", "time_zone", "channel", "cell", "poll_seconds", "settle_seconds",
        "idle_end_hours", "recursive",
    ]

    /// A `[[watch]]` table; `base` resolves a relative directory (the TOML file's folder).
    static func parse(_ table: TOMLTable, base: URL, file: String) throws -> WatchedFolder {
        func fail(_ message: String) -> AgentConfiguration.Invalid { .init(description: "\(file): [[watch]]: \(message)") }
        if let unknown = table.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown key '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
        }
        guard let directory = table["directory"]?.string, !directory.isEmpty else { throw fail("directory is required") }
        var watch = WatchedFolder(directory: URL(fileURLWithPath: directory, relativeTo: base))
        func string(_ key: String) throws -> String? {
            guard let value = table[key] else { return nil }
            guard let text = value.string else { throw fail("\(key) must be a string") }
            return text
        }
        func number(_ key: String) throws -> Double? {
            guard let value = table[key] else { return nil }
            guard let number = value.double ?? value.int.map(Double.init), number.isFinite, number >= 0 else {
                throw fail("\(key) must be a non-negative number")
            }
            return number
        }
        watch.filter = WatchedFileFilter(pattern: try string("pattern"))
        watch.profile = try string("profile")
        watch.timeZone = try string("time_zone")
        if let zone = watch.timeZone, TimeZone(identifier: zone) == nil { throw fail("time_zone '\(zone)' is not an IANA time zone") }
        let channelSetting = try string("channel")
        do { watch.channel = try ChannelRule(setting: channelSetting) } catch { throw fail(error.description) }
        if let value = try number("poll_seconds") { watch.pollSeconds = value }
        if let value = try number("settle_seconds") { watch.settleSeconds = value }
        if let value = try number("idle_end_hours") { watch.idleEndHours = value }
        if let value = table["recursive"] {
            guard let flag = value.bool else { throw fail("recursive must be true or false") }
            watch.recursive = flag
        }
        if let cell = table["cell"] {
            guard let cell = cell.table else { throw fail("cell must be a [watch.cell] table") }
            do {
                watch.cellDefaults = try CellSidecar.parse(cell.convert(to: .toml), file: "\(file): [watch.cell]")
            } catch {
                throw AgentConfiguration.Invalid(description: error.description)
            }
        }
        try watch.validate()
        return watch
    }

    func validate() throws {
        guard pollSeconds > 0 else { throw AgentConfiguration.Invalid(description: "\(directory.path): poll_seconds must be positive") }
        guard idleEndHours > 0 else { throw AgentConfiguration.Invalid(description: "\(directory.path): idle_end_hours must be positive") }
    }
}

/// A channel the agent announces before any file names it (`[[channel]]`), so the coordinator
/// and the scheduler know the cycler's channels and what they can run.
public struct DeclaredChannel: Sendable, Equatable {
    public var channelID: String
    public var make: String?
    public var model: String?
    public var capabilities: ChannelCapabilities

    static let knownKeys = ["id", "make", "model", "current_min_a", "current_max_a", "voltage_min_v", "voltage_max_v", "aux_temperature"]

    static func parse(_ table: TOMLTable, file: String) throws -> DeclaredChannel {
        func fail(_ message: String) -> AgentConfiguration.Invalid { .init(description: "\(file): [[channel]]: \(message)") }
        if let unknown = table.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw fail("unknown key '\(unknown)' (known: \(knownKeys.joined(separator: ", ")))")
        }
        guard let id = table["id"]?.string, !id.isEmpty else { throw fail("id is required") }
        func number(_ key: String) throws -> Double {
            guard let value = table[key] else { return 0 }
            guard let number = value.double ?? value.int.map(Double.init), number.isFinite else { throw fail("\(key) must be a number") }
            return number
        }
        let capabilities = ChannelCapabilities(
            currentMinAmperes: try number("current_min_a"), currentMaxAmperes: try number("current_max_a"),
            voltageMinVolts: try number("voltage_min_v"), voltageMaxVolts: try number("voltage_max_v"))
        if capabilities.currentMinAmperes > capabilities.currentMaxAmperes || capabilities.voltageMinVolts > capabilities.voltageMaxVolts {
            throw fail("channel \(id): a minimum above its maximum")
        }
        var channel = DeclaredChannel(channelID: id, make: table["make"]?.string, model: table["model"]?.string, capabilities: capabilities)
        if let aux = table["aux_temperature"] {
            guard let flag = aux.bool else { throw fail("aux_temperature must be true or false") }
            channel.capabilities.auxTemperature = flag
        }
        return channel
    }
}
