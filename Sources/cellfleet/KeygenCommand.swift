import ArgumentParser
import Foundation
import ZeroMQ

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a CURVE key pair for an agent or a coordinator: DIR/NAME.key (public) and DIR/NAME.key_secret (secret, mode 0600).",
        discussion: """
            An agent's NAME is its agent id. Copy the agent's NAME.key into the coordinator's --allow \
            directory; give the coordinator's NAME.key to agents as --server-key. Secret files never leave \
            the machine that uses them.
            """)

    @Option(help: "Key name: the agent id for an agent (letters, digits, '.', '_', '-').")
    var name: String

    @Option(help: "Directory to write the two files into (created if missing).")
    var out: String

    @Flag(help: "Replace an existing key pair of that name.")
    var force = false

    func run() throws {
        let written: (publicFile: URL, secretFile: URL, key: CurveKeyFile)
        do {
            written = try CurveKeyFile.generate(name: name, directory: URL(fileURLWithPath: out), replace: force)
        } catch let error as CurveKeyFile.Invalid {
            throw ValidationError(error.description)
        }
        print("public key: \(written.publicFile.path)")
        print("secret key: \(written.secretFile.path) (mode 0600)")
        print("Z85 public key: \(written.key.publicKey)")
    }
}
