import AlertRouting
import CellModel
import Foundation
import Testing

@Suite struct AlertmanagerPayloadTests {
    func decoded(_ body: String) throws -> [[String: Any]] {
        try #require(JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
    }

    @Test func aFiringAlertHasItsIdentifyingLabelsAndGroupAttributesAndNoEnd() throws {
        let alerts = try decoded(AlertmanagerPayload.body([AlertFixtures.p2]))
        #expect(alerts.count == 1)
        let labels = try #require(alerts[0]["labels"] as? [String: String])
        #expect(labels == [
            "alertname": "P2", "severity": "fail", "test_id": "0f8fad5b-d9cb-469f-a165-70867728950e", "cell_id": "cell-7",
            "channel_id": "ch-3", "agent_id": "rig-1", "alert_id": "42", "coating": "none", "batch_id": "2026-11-A", "scenario": "4",
        ])
        #expect(alerts[0]["startsAt"] as? String == "2001-09-09T01:46:40.250Z")
        #expect(alerts[0]["endsAt"] == nil)
    }

    @Test func annotationsHoldAOneLineSummaryAndTheEvidenceAsJSON() throws {
        let annotations = try #require(try decoded(AlertmanagerPayload.body([AlertFixtures.p2]))[0]["annotations"] as? [String: String])
        let summary = try #require(annotations["summary"])
        #expect(!summary.contains("\n"))
        #expect(summary == "P2 fail on cell cell-7, channel ch-3, agent rig-1 at 101.00 h (cycle 50): short circuit: voltage collapsed to 0.01 V")
        #expect(annotations["evidence"] == #"{"cycle":50,"ok":false,"steps":[1,2.5],"voltage_v":0.01}"#)
        #expect(annotations["state"] == "firing")
    }

    @Test func aResolvedAlertEndsAtItsResolutionNeverBeforeItsStart() throws {
        var alert = AlertFixtures.p2
        alert.state = .resolved
        alert.resolvedAtSeconds = 1_000_000_060
        #expect(try decoded(AlertmanagerPayload.body([alert]))[0]["endsAt"] as? String == "2001-09-09T01:47:40.000Z")
        alert.resolvedAtSeconds = 999_999_000
        #expect(try decoded(AlertmanagerPayload.body([alert]))[0]["endsAt"] as? String == "2001-09-09T01:46:40.250Z")
    }

    @Test func anAcknowledgedAlertStillFiresForAlertmanager() throws {
        var alert = AlertFixtures.p2
        alert.state = .acknowledged
        alert.acknowledgedBy = "ana"
        alert.acknowledgedAtSeconds = 1_000_000_010
        let posted = try decoded(AlertmanagerPayload.body([alert]))[0]
        #expect(posted["endsAt"] == nil)
        #expect((posted["annotations"] as? [String: String])?["acknowledged_by"] == "ana")
    }

    @Test func anAgentLevelAlertHasNoTestLabels() throws {
        let alert = AlertRecord(alertID: 7, rule: "F2", severity: "warn", state: .firing, agentID: "rig-2",
                                message: "connection lost", raisedAtSeconds: 0)
        let labels = try #require(try decoded(AlertmanagerPayload.body([alert]))[0]["labels"] as? [String: String])
        #expect(labels == ["alertname": "F2", "severity": "warn", "agent_id": "rig-2", "alert_id": "7"])
    }

    @Test func attributesCannotOverrideCellfleetsOwnLabels() {
        var alert = AlertFixtures.p2
        alert.attributes = ["severity": "info", "alertname": "x", "__name__": "y", "9lives": "z", "": "empty-name", "empty": ""]
        let labels = Dictionary(uniqueKeysWithValues: AlertmanagerPayload.labels(of: alert))
        #expect(labels["severity"] == "fail")
        #expect(labels["alertname"] == "P2")
        #expect(labels["attribute_severity"] == "info")
        #expect(labels["attribute_alertname"] == "x")
        #expect(labels["attribute___name__"] == "y")
        #expect(labels["_9lives"] == "z")
        #expect(labels["_"] == "empty-name")
        #expect(labels["empty"] == nil)
    }

    @Test func labelNamesAreMadeSafe() {
        #expect(LabelName.safe("coating") == "coating")
        #expect(LabelName.safe("batch-id.2") == "batch_id_2")
        #expect(LabelName.safe("2nd") == "_2nd")
        #expect(LabelName.safe("größe") == "gr__e")
        #expect(LabelName.safe("") == "_")
    }

    @Test func evidenceThatIsNotJSONIsKeptAsText() {
        #expect(EvidenceJSON.value("not json").render(pretty: false) == #""not json""#)
        #expect(EvidenceJSON.value(#"{"b": null, "a": [true, "x"]}"#).render(pretty: false) == #"{"a":[true,"x"],"b":null}"#)
    }
}

@Suite struct TestAttributesTests {
    @Test func onlyStringMembersAreGroupAttributes() {
        #expect(TestAttributes.strings(fromJSON: #"{"coating": "LiAlO2", "thresholds": {"p2": 1}, "n": 3, "on_fail": "stop"}"#)
            == ["coating": "LiAlO2", "on_fail": "stop"])
        #expect(TestAttributes.strings(fromJSON: "not json").isEmpty)
        #expect(TestAttributes.strings(fromJSON: "[]").isEmpty)
    }
}
