import TestSupport
import Foundation
import Testing
import ZeroMQ

/// `cellfleet keygen` and the key files it writes.
@Suite struct AuthKeyFileTests {
    @Test func keygenWritesAPublicAndAPrivateSecretFile() throws {
        let directory = TestPaths.temporaryDirectory("keygen")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = try TestProcess.run(TestPaths.cellfleet, ["keygen", "--name", "cycler-07", "--out", directory.path])
        let publicFile = directory.appendingPathComponent("cycler-07.key")
        let secretFile = directory.appendingPathComponent("cycler-07.key_secret")
        #expect(output.contains(publicFile.path))

        let secretMode = try #require(try FileManager.default.attributesOfItem(atPath: secretFile.path)[.posixPermissions] as? Int)
        #expect(secretMode == 0o600)
        let publicText = try String(contentsOf: publicFile, encoding: .utf8)
        let secretText = try String(contentsOf: secretFile, encoding: .utf8)
        #expect(publicText.hasPrefix("#"), "a comment header says what the file is")
        #expect(!publicText.contains("secret-key"), "the public file holds no secret")
        #expect(secretText.contains("secret-key"))

        let pub = try CurveKeyFile.read(publicFile)
        let sec = try CurveKeyFile.read(secretFile, requireSecret: true)
        #expect(pub.name == "cycler-07")
        #expect(pub.publicKey == sec.publicKey)
        #expect(CurveKeyFile.isZ85Key(pub.publicKey))
        #expect(try CurveKeyPair.publicKey(forSecretKey: try #require(sec.secretKey)) == pub.publicKey)

        // A second run must not destroy the secret an agent depends on.
        #expect(throws: (any Error).self) {
            try TestProcess.run(TestPaths.cellfleet, ["keygen", "--name", "cycler-07", "--out", directory.path])
        }
        #expect(try CurveKeyFile.read(secretFile, requireSecret: true) == sec)
    }

    @Test func badNamesAndBadFilesAreRefusedWithTheReason() throws {
        let directory = TestPaths.temporaryDirectory("keyfile")
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["", "../etc", "a b", ".hidden", String(repeating: "x", count: 65)] {
            #expect(throws: CurveKeyFile.Invalid.self) { try CurveKeyFile.validate(name: name) }
        }
        let written = try CurveKeyFile.generate(name: "agent-1", directory: directory)

        // The public file is not a secret key.
        let notSecret = try #require(throws: CurveKeyFile.Invalid.self) { try CurveKeyFile.read(written.publicFile, requireSecret: true) }
        #expect(notSecret.description.contains("secret-key"))

        // A secret key others can read is refused, as ssh does.
        chmod(written.secretFile.path, 0o644)
        let open = try #require(throws: CurveKeyFile.Invalid.self) { try CurveKeyFile.read(written.secretFile, requireSecret: true) }
        #expect(open.description.contains("chmod 600"))
        chmod(written.secretFile.path, 0o600)

        // A public key that does not belong to the secret key (an edited file) is caught.
        let other = try CurveKeyPair.generate()
        var text = try String(contentsOf: written.secretFile, encoding: .utf8)
        text = text.replacingOccurrences(of: written.key.publicKey, with: other.publicKey)
        try text.write(to: written.secretFile, atomically: false, encoding: .utf8)
        let mismatch = try #require(throws: CurveKeyFile.Invalid.self) { try CurveKeyFile.read(written.secretFile, requireSecret: true) }
        #expect(mismatch.description.contains("does not belong"))

        // Garbage instead of Z85.
        try "curve\n    public-key = \"not a key\"\n".write(to: directory.appendingPathComponent("junk.key"), atomically: true, encoding: .utf8)
        #expect(throws: CurveKeyFile.Invalid.self) { try CurveKeyFile.read(directory.appendingPathComponent("junk.key")) }
    }
}
