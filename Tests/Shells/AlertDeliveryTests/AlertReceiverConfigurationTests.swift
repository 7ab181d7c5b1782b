@testable import AlertDelivery
import AlertRouting
import Foundation
import Testing

@Suite struct AlertReceiverConfigurationTests {
    let directory: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("cellfleet-receivers-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ text: String, _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func aTOMLFileNamesAlertmanagersAndWebhooksWithSecretsRelativeToIt() throws {
        _ = try write("top secret\n\n", "hook.secret")
        let file = try write("""
            [[alertmanager]]
            url = "http://127.0.0.1:9093/"

            [[webhook]]
            url = "https://lab.example/hooks/cellfleet"
            secret_file = "hook.secret"

            [[webhook]]
            url = "http://127.0.0.1:8000/plain"
            """, "receivers.toml")
        let receivers = try AlertReceiverConfiguration.load(tomlFile: file)
        #expect(receivers == [
            AlertReceiver(kind: .alertmanager, url: "http://127.0.0.1:9093"),
            AlertReceiver(kind: .webhook, url: "https://lab.example/hooks/cellfleet", secret: Array("top secret".utf8)),
            AlertReceiver(kind: .webhook, url: "http://127.0.0.1:8000/plain"),
        ])
        #expect(receivers[0].postURL == "http://127.0.0.1:9093/api/v2/alerts")
        #expect(receivers[1].postURL == "https://lab.example/hooks/cellfleet")
    }

    @Test(arguments: [
        ("[[webhook]]\nurl = \"http://h/x\"\nsecret_flie = \"s\"", "unknown key 'secret_flie'"),
        ("[[alertmanager]]\nurl = \"http://h\"\nsecret_file = \"s\"", "unknown key 'secret_file'"),
        ("[alerting]\nx = 1", "unknown key 'alerting'"),
        ("[[webhook]]\nsecret_file = \"s\"", "url (a string) is required"),
        ("[[webhook]]\nurl = \"ftp://h/x\"", "is not an http:// or https:// URL"),
        ("webhook = \"http://h/x\"", "must be an array of tables"),
        ("[[webhook]]\nurl = \"http://h/x\"\nsecret_file = \"missing.secret\"", "cannot read the webhook secret file"),
        ("not toml [", "not valid TOML"),
    ])
    func aMistakeInTheFileIsAnErrorThatSaysWhere(text: String, message: String) throws {
        let file = try write(text, "bad.toml")
        do {
            _ = try AlertReceiverConfiguration.load(tomlFile: file)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
            #expect("\(error)".contains("bad.toml"), "\(error)")
        }
    }

    @Test func oneSecretFileSignsEveryWebhookOrOnePerWebhookInOrder() throws {
        let a = try write("a", "a.secret"), b = try write("b\n", "b.secret")
        let shared = try AlertReceiverConfiguration.fromFlags(alertmanagers: ["http://am:9093"], webhooks: ["http://h/1", "http://h/2"],
                                                             webhookSecretFiles: [a.path])
        #expect(shared.map(\.secret) == [nil, [UInt8(ascii: "a")], [UInt8(ascii: "a")]])
        let paired = try AlertReceiverConfiguration.fromFlags(alertmanagers: [], webhooks: ["http://h/1", "http://h/2"],
                                                             webhookSecretFiles: [a.path, b.path])
        #expect(paired.map(\.secret) == [[UInt8(ascii: "a")], [UInt8(ascii: "b")]])
        #expect(throws: AlertReceiverConfigurationError.self) {
            try AlertReceiverConfiguration.fromFlags(alertmanagers: [], webhooks: ["http://h/1", "http://h/2", "http://h/3"],
                                                     webhookSecretFiles: [a.path, b.path])
        }
        #expect(throws: AlertReceiverConfigurationError.self) {
            try AlertReceiverConfiguration.fromFlags(alertmanagers: [], webhooks: [], webhookSecretFiles: [a.path])
        }
        let empty = try write("\n", "empty.secret")
        #expect(throws: AlertReceiverConfigurationError.self) {
            try AlertReceiverConfiguration.fromFlags(alertmanagers: [], webhooks: ["http://h/1"], webhookSecretFiles: [empty.path])
        }
    }

    @Test func flagsAndFileMergeEachReceiverOnce() throws {
        let merged = try AlertReceiverConfiguration.merged(
            [AlertReceiver(kind: .webhook, url: "http://h/1"), AlertReceiver(kind: .alertmanager, url: "http://am:9093")],
            [AlertReceiver(kind: .webhook, url: "http://h/1/", secret: [1]), AlertReceiver(kind: .alertmanager, url: "http://am:9093")])
        #expect(merged == [AlertReceiver(kind: .webhook, url: "http://h/1", secret: [1]), AlertReceiver(kind: .alertmanager, url: "http://am:9093")])
        #expect(throws: AlertReceiverConfigurationError.self) {
            try AlertReceiverConfiguration.merged([AlertReceiver(kind: .webhook, url: "http://h/1", secret: [1])],
                                                  [AlertReceiver(kind: .webhook, url: "http://h/1", secret: [2])])
        }
    }

    @Test func theReceiverIdIsTheSameWhoeverConfiguresIt() {
        #expect(AlertReceiver(kind: .webhook, url: "http://h/1/").receiverID == AlertReceiver(kind: .webhook, url: "http://h/1", secret: [9]).receiverID)
    }

    @Test func periodsMustBePositiveAndTheLeaseOutlastARequest() throws {
        var configuration = AlertDeliveryConfiguration(receivers: [], coordinatorID: "c")
        try configuration.validate()
        configuration.claimLeaseSeconds = 5
        #expect(throws: AlertDeliveryConfiguration.Invalid.self) { try configuration.validate() }
        configuration.claimLeaseSeconds = 30
        configuration.pollSeconds = 0
        #expect(throws: AlertDeliveryConfiguration.Invalid.self) { try configuration.validate() }
    }
}

@Suite struct AlertPosterTests {
    /// RFC 4231 test case 2.
    @Test func theSignatureIsTheHexHMACSHA256OfTheBody() {
        #expect(AlertPoster.signature(of: Array("what do ya want for nothing?".utf8), secret: Array("Jefe".utf8))
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

@Suite struct DoorbellTests {
    @Test func aRingBeforeTheWaitEndsItAtOnceAndOtherwiseItTimesOut() async {
        let doorbell = Doorbell()
        await doorbell.ring()
        let clock = ContinuousClock()
        let rung = await clock.measure { await doorbell.wait(timeoutSeconds: 10) }
        #expect(rung < .seconds(1))
        let quiet = await clock.measure { await doorbell.wait(timeoutSeconds: 0.2) }
        #expect(quiet >= .milliseconds(190) && quiet < .seconds(5))
    }

    @Test func aRingDuringTheWaitEndsIt() async {
        let doorbell = Doorbell()
        let clock = ContinuousClock()
        async let ringer: Void = { try? await Task.sleep(for: .milliseconds(100)); await doorbell.ring() }()
        let waited = await clock.measure { await doorbell.wait(timeoutSeconds: 10) }
        await ringer
        #expect(waited < .seconds(5))
    }
}
