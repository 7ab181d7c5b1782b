import AlertRouting
import Foundation
import PropertyBased
import Testing

/// Whatever people and detectors put in an alert's text (quotes, control characters, newlines,
/// non-ASCII), both payloads stay valid JSON that gives the same text back, and Alertmanager's
/// labels stay valid label names.
@Suite struct PayloadPropertyTests {
    static let text = Gen.latin1.string(of: 0...16)
    static let wide = Gen.character(in: "\u{0}"..."\u{2FFF}").string(of: 0...8)

    @Test func bothPayloadsAreValidJSONThatKeepsEveryText() async throws {
        await propertyCheck(count: 300, input: Self.text, Self.wide, Self.text, Self.wide) { message, cell, name, value in
            var alert = AlertFixtures.p2
            alert.message = message
            alert.cellID = cell
            alert.attributes = [name: value, "coating": "none"]
            alert.evidenceJSON = "{\"note\": \(String(data: try JSONSerialization.data(withJSONObject: [message], options: .fragmentsAllowed), encoding: .utf8)!)}"

            let webhook = try #require(try JSONSerialization.jsonObject(with: Data(WebhookBody.body(alert, state: .firing).utf8)) as? [String: Any])
            let body = try #require(webhook["alert"] as? [String: Any])
            #expect(body["message"] as? String == message)
            #expect(body["cell_id"] as? String == cell)
            #expect((body["attributes"] as? [String: String])?[name] == value)
            #expect(((body["evidence"] as? [String: Any])?["note"] as? [String])?.first == message)

            let posted = try #require(try JSONSerialization.jsonObject(with: Data(AlertmanagerPayload.body([alert]).utf8)) as? [[String: Any]])
            let labels = try #require(posted.first?["labels"] as? [String: String])
            for label in labels.keys {
                #expect(label.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil, "label \(label.debugDescription)")
            }
            #expect(labels["alertname"] == "P2" && labels["severity"] == "fail")
            let summary = try #require((posted.first?["annotations"] as? [String: String])?["summary"])
            #expect(!summary.contains { $0.isNewline }, "summary \(summary.debugDescription)")
        }
    }
}
