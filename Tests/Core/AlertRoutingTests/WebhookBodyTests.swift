import CellModel
import AlertRouting
import Foundation
import Testing

@Suite struct WebhookBodyTests {
    @Test func theBodyIsVersionedAndKeyedByAlertAndState() throws {
        let body = WebhookBody.body(AlertFixtures.p2, state: .firing)
        let object = try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "cellfleet.alert/v1")
        #expect(object["idempotency_key"] as? String == "42-firing")
        let alert = try #require(object["alert"] as? [String: Any])
        #expect(alert["alert_id"] as? Int == 42)
        #expect(alert["test_id"] as? String == "0f8fad5b-d9cb-469f-a165-70867728950e")
        #expect(alert["rule"] as? String == "P2")
        #expect(alert["severity"] as? String == "fail")
        #expect(alert["state"] as? String == "firing")
        #expect(alert["cycle"] as? Int == 50)
        #expect(alert["test_time_second"] as? Int == 363_600)
        #expect((alert["evidence"] as? [String: Any])?["voltage_v"] as? Double == 0.01)
        #expect((alert["attributes"] as? [String: String])?["coating"] == "none")
        #expect(alert["raised_at"] as? String == "2001-09-09T01:46:40.250Z")
        #expect(alert["resolved_at"] is NSNull)
    }

    @Test func eachStateHasItsOwnKeyAndTheSameStateTheSameBody() {
        var alert = AlertFixtures.p2
        let keys = Set(AlertState.allCases.map { WebhookBody.idempotencyKey(alertID: alert.alertID, state: $0) })
        #expect(keys == ["42-firing", "42-acknowledged", "42-resolved"])
        #expect(WebhookBody.body(alert, state: .firing) == WebhookBody.body(alert, state: .firing))
        alert.state = .resolved
        alert.resolvedAtSeconds = 1_000_000_100
        // A firing delivery sent late, after the resolution, still says which state it tells.
        #expect(WebhookBody.body(alert, state: .firing).contains(#""state":"firing","current_state":"resolved""#))
    }
}
