import TestSupport
import CellfleetCoordinator
import Foundation
import Testing
import WireProtocol

/// A half cell's TestStart lands in `tests` with its type, working electrode and voltage limits
/// (migration 0003); a cell that breaks the wire's rules is refused alone, before the database
/// (whose checks would otherwise fail the whole group), and a v1 agent that sends none of the new
/// fields still gets NULLs.
@Suite(.serialized) struct HalfCellIngestTests {
    typealias Misbehaviour = ProtocolMisbehaviourTests

    static func start(_ id: UInt64, test: String, agent: String, cell: (inout Cellfleet_Wire_V1_Cell) -> Void) -> WireEnvelope {
        var envelope = Misbehaviour.start(id, test: test, agent: agent)
        if case .testStart(var start) = envelope.body {
            cell(&start.cell)
            envelope.body = .testStart(start)
        }
        return envelope
    }

    @Test func aHalfCellsStartIsStoredWithItsElectrodeAndLimitsAndABadCellIsRefusedAlone() async throws {
        let harness = try await Misbehaviour.Harness()
        let agent = try Misbehaviour.RawAgent(endpoint: harness.endpoint, id: "lab1")
        defer { agent.close() }
        let half = UUID().uuidString.lowercased()
        let symmetric = UUID().uuidString.lowercased()
        let inverted = UUID().uuidString.lowercased()
        let electrodeOnFull = UUID().uuidString.lowercased()

        try agent.send(Self.start(1, test: half, agent: "lab1") { cell in
            cell.cellID = "gr-07"
            cell.cellType = .half
            cell.workingElectrode = .anode
            cell.voltageMinV = 0.005
            cell.voltageMaxV = 1.5
            cell.electrodeAreaM2 = 1.13e-4
        })
        // A symmetric cell may have a negative lower limit; an old agent's fields stay as they were.
        try agent.send(Self.start(2, test: symmetric, agent: "lab1") { cell in
            cell.voltageMinV = -1
            cell.voltageMaxV = 1
        })
        await Misbehaviour().expectAck(agent, [1, 2])

        try agent.send(Self.start(3, test: inverted, agent: "lab1") { cell in
            cell.cellType = .full
            cell.voltageMinV = 4.2
            cell.voltageMaxV = 3.0
        })
        let invertedError = await Misbehaviour().expectError(agent, .malformed)
        #expect(invertedError?.deliveryID == 3)
        #expect(invertedError?.message.contains("not below voltage_max_v") == true)
        try agent.send(Self.start(4, test: electrodeOnFull, agent: "lab1") { cell in
            cell.cellType = .full
            cell.workingElectrode = .cathode
        })
        let electrodeError = await Misbehaviour().expectError(agent, .malformed)
        #expect(electrodeError?.message.contains("working_electrode is only for CELL_TYPE_HALF") == true)

        let db = harness.database
        #expect(try db.query("""
            SELECT cell_id, cell_type, working_electrode, voltage_min_v, voltage_max_v, electrode_area_m2
            FROM tests WHERE test_id = '\(half)'
            """) == ["gr-07|half|anode|0.005|1.5|0.000113"])
        #expect(try db.query("""
            SELECT cell_type, coalesce(working_electrode, 'NULL'), voltage_min_v, voltage_max_v, coalesce(electrode_area_m2::text, 'NULL')
            FROM tests WHERE test_id = '\(symmetric)'
            """) == ["symmetric|NULL|-1|1|NULL"])
        #expect(try db.scalar("SELECT count(*) FROM tests WHERE test_id IN ('\(inverted)', '\(electrodeOnFull)')") == 0)
        #expect(harness.coordinator.statistics.snapshot.malformedMessages == 2)

        // The table's own checks hold what the coordinator refuses, for writers other than it.
        for (values, constraint) in [
            ("'full', 'anode', NULL, NULL", "tests_working_electrode_half_only"),
            ("'half', 'diode', NULL, NULL", "tests_working_electrode_check"),
            ("'half', NULL, 1.5, 0.005", "tests_voltage_limits_ordered"),
            ("'full', NULL, -0.5, 4.2", "tests_voltage_limits_positive"),
            ("'symmetric', NULL, 'NaN', 1", "tests_voltage_limits_finite"),
        ] {
            do {
                _ = try db.query("""
                    INSERT INTO tests (test_id, agent_id, channel_id, cell_id, cell_type, working_electrode, voltage_min_v, voltage_max_v, started_at)
                    VALUES (gen_random_uuid(), 'x', 'ch', 'c', \(values), now())
                    """)
                Issue.record("the table accepted \(values), which \(constraint) refuses")
            } catch {
                #expect("\(error)".contains(constraint))
            }
        }
        await harness.stop()
    }
}
