import Foundation
import Logging
import ZeroMQ

/// The agent's side of CURVE: its own key pair and the coordinator's public key, read and checked
/// before the first connection so a wrong file is a clear start-up error, not a silent
/// handshake that never completes.
public struct AgentCredentials: Sendable {
    public var key: CurveKeyFile
    public var serverKey: CurveKeyFile

    /// The agent id an agent started with `--key FILE` has: the key's name.
    public static func agentID(forKeyFile url: URL) -> String { CurveKeyFile.name(of: url) }

    /// nil when the configuration opts out of CURVE (with a warning in the log).
    public static func load(for configuration: AgentConfiguration, logger: Logger) throws -> AgentCredentials? {
        if configuration.insecure {
            logger.warning("INSECURE: --insecure is set; the link to the coordinator is neither authenticated nor encrypted")
            return nil
        }
        guard let keyFile = configuration.keyFile, let serverKeyFile = configuration.serverKeyFile else {
            throw AgentConfiguration.Invalid(description: "the link is authenticated by default: give --key NAME.key_secret (this agent's key pair) and --server-key FILE.key (the coordinator's public key), or --insecure")
        }
        let key = try CurveKeyFile.read(keyFile, requireSecret: true)
        let serverKey = try CurveKeyFile.read(serverKeyFile)
        guard key.name == configuration.agentID else {
            throw AgentConfiguration.Invalid(description: "the agent id '\(configuration.agentID)' differs from its key's name '\(key.name)': the coordinator knows an agent by its key's name, so leave the id out or make them equal")
        }
        return AgentCredentials(key: key, serverKey: serverKey)
    }

    /// Makes a DEALER a CURVE client of the coordinator.
    public func configureClient(_ socket: ZMQSocket) throws {
        guard let secretKey = key.secretKey else { return }
        try socket.makeCurveClient(publicKey: key.publicKey, secretKey: secretKey, serverPublicKey: serverKey.publicKey)
    }
}
