import AgentSpool
import CellModel
import DeliveryProtocol
import Foundation

/// Which test runs on which channel, kept beside the spool (`channels.json`) so that an agent
/// restarted on the same spool continues its tests instead of starting new ones.
///
/// A test is recorded here only after its TestStart is in the spool: a crash in between leaves a
/// started test with no samples, never samples for a test the coordinator has not heard of.
///
/// The format only gains optional fields: an agent of 0.1.0 reads a file written by a newer one
/// (it ignores `resume` and `commands`), and a newer one reads the 0.1.0 files as they are.
struct ChannelRegistry: Codable {
    struct RunningTest: Codable {
        var testID: String
        var channelID: String
        var cell: CellMetadata
        var startUnixTimeSeconds: Double
        var seed: UInt64
        /// The simulator preset of a simulated channel (absent in files of older agents).
        var scenario: String?
        /// Where the channel's source stood, and after which sample (absent in files of older
        /// agents, whose simulated sources start over and skip what the spool holds).
        var resume: ResumePoint?
    }

    /// A source's resume token and the sequence number of the last sample it had handed out
    /// when the token was taken. The token is the source's own JSON, kept as text so that this
    /// file needs to know no source's shape.
    struct ResumePoint: Codable, Equatable {
        var afterSequence: UInt64
        var token: String
    }

    var agentID: String
    var tests: [String: RunningTest] = [:]  // by channel id
    /// The outcomes of the commands executed (absent in files of older agents).
    var commands: ExecutedCommands?
    /// The experiments fed by followed files (absent when the agent follows none).
    var followed: [String: FollowedExperiment]?

    static let fileName = "channels.json"

    static func load(from directory: URL, agentID: String) throws -> ChannelRegistry {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return ChannelRegistry(agentID: agentID) }
        return try JSONDecoder().decode(ChannelRegistry.self, from: Data(contentsOf: url))
    }

    /// What `channels.json` holds. The agent stores it through its spool
    /// (`Spool.storeBeside`: atomic and durable, and possible on a full disk).
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return try encoder.encode(self)
    }

    func store(in directory: URL) throws {
        try DurableFile.replace(directory.appendingPathComponent(Self.fileName), with: encoded())
    }
}

/// A source's resume token as the compact JSON text `channels.json` keeps.
enum ResumeTokenCoding {
    static func encode<Token: Encodable>(_ token: Token) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(token), as: UTF8.self)
    }

    static func decode<Token: Decodable>(_ type: Token.Type, from text: String) throws -> Token {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
