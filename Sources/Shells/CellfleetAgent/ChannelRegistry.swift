import CellModel
import Foundation

/// Which test runs on which channel, kept beside the spool (`channels.json`) so that an agent
/// restarted on the same spool continues its tests instead of starting new ones.
///
/// A test is recorded here only after its TestStart is in the spool: a crash in between leaves a
/// started test with no samples, never samples for a test the coordinator has not heard of.
struct ChannelRegistry: Codable {
    struct RunningTest: Codable {
        var testID: String
        var channelID: String
        var cell: CellMetadata
        var startUnixTimeSeconds: Double
        var seed: UInt64
        /// The simulator preset of a simulated channel (absent in files of older agents).
        var scenario: String?
    }

    var agentID: String
    var tests: [String: RunningTest] = [:]  // by channel id

    static let fileName = "channels.json"

    static func load(from directory: URL, agentID: String) throws -> ChannelRegistry {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return ChannelRegistry(agentID: agentID) }
        return try JSONDecoder().decode(ChannelRegistry.self, from: Data(contentsOf: url))
    }

    func store(in directory: URL) throws {
        let url = directory.appendingPathComponent(Self.fileName)
        let temporary = url.appendingPathExtension("tmp")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(self).write(to: temporary)
        let handle = try FileHandle(forUpdating: temporary)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    }
}
