import AlertRouting

enum AlertFixtures {
    /// A P2 fail of a bare Li|LGPS|Li cell, raised 1 000 000 000 s after 1970.
    static let p2 = AlertRecord(
        alertID: 42, rule: "P2", severity: "fail", state: .firing, testID: "0F8FAD5B-D9CB-469F-A165-70867728950E",
        cellID: "cell-7", channelID: "ch-3", agentID: "rig-1", seq: 1234, testTimeSeconds: 363_600, cycleIndex: 50,
        message: "short circuit: voltage collapsed\nto 0.01 V", evidenceJSON: #"{"voltage_v": 0.01, "cycle": 50, "ok": false, "steps": [1, 2.5]}"#,
        attributes: ["coating": "none", "batch-id": "2026-11-A", "threshold.p2_voltage_v": "0.05", "on_fail": "stop", "scenario": "4"],
        raisedAtSeconds: 1_000_000_000.25)
}
