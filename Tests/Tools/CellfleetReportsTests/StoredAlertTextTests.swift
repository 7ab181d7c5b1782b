import CellDetection
import CellfleetReports
import Foundation
import Testing

/// `alerts list --json`'s line and `cycles`' renderings.
@Suite struct StoredAlertTextTests {
    @Test func theJSONLineHasTheContractFieldsInOrder() throws {
        let alert = StoredAlert(alertID: 12, testID: "7b0c0f5e-5a55-4d3e-9a36-2f1e7c1a9b01", cellID: "sym-07", channelID: "ch3",
                                agentID: "lab", rule: "P2", severity: "fail", state: .acknowledged, seq: 6360, testTimeSeconds: 381_600.5,
                                cycle: 53, raisedAt: "2026-12-03T12:00:00.000001Z", message: "blow-up",
                                evidenceJSON: #"{"ratio": 0.30000000000000004, "a": 1, "b": {"c": "x", "d": [true, null, 1e-300]}}"#, acknowledgedBy: "alice")
        let line = StoredAlertText.jsonLine(alert)
        #expect(line.hasPrefix(#"{"alert_id":12,"test_id":"7b0c0f5e-5a55-4d3e-9a36-2f1e7c1a9b01","cell_id":"sym-07","channel_id":"ch3","agent_id":"lab","rule":"P2","kind":null,"severity":"fail","state":"acknowledged","test_time_second":381600.5,"#), "\(line)")
        #expect(line.contains(#""evidence":{"a":1,"b":{"c":"x","d":[true,null,1e-300]},"ratio":0.30000000000000004}"#), "\(line)")
        #expect(line.contains(#""acknowledged_by":"alice""#) && line.contains(#""resolved_at":null"#))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["cycle"] as? Int == 53 && object["raised_at"] as? String == "2026-12-03T12:00:00.000001Z")
    }

    @Test func anAgentLevelAlertHasNullTest() {
        let alert = StoredAlert(alertID: 3, agentID: "lab", rule: "F2", severity: "warn", state: .firing, raisedAt: "t",
                                message: "gone", source: "coordinator")
        #expect(StoredAlertText.jsonLine(alert).contains(#""test_id":null,"cell_id":null"#))
        #expect(StoredAlertText.watchLine(alert).contains("agent lab"))
        #expect(StoredAlertText.table([alert]).contains("F2"))
    }

    @Test func cycleRowsKeepEveryDigitAndNaNIsNull() {
        let columns = [CycleSummaryText.Column(name: "cycle_index", isNumeric: true), CycleSummaryText.Column(name: "ce", isNumeric: true),
                       CycleSummaryText.Column(name: "note", isNumeric: false)]
        let rows: [[String?]] = [["1", "0.30000000000000004", "a, \"b\""], ["2", "NaN", nil]]
        #expect(CycleSummaryText.jsonLines(columns: columns, rows: rows)
                == #"{"cycle_index":1,"ce":0.30000000000000004,"note":"a, \"b\""}"# + "\n" + #"{"cycle_index":2,"ce":null,"note":null}"# + "\n")
        #expect(CycleSummaryText.csv(columns: columns, rows: rows) == "cycle_index,ce,note\n1,0.30000000000000004,\"a, \"\"b\"\"\"\n2,NaN,\n")
    }
}
