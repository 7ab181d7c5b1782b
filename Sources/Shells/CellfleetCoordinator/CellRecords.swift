import Foundation
import Logging
import PostgresNIO

/// The cell inventory's rows (`cellfleet cells add`, `cells list`).
public enum CellRecords {
    public struct Added: Sendable, Equatable {
        public var added: Int
        public var updated: Int
    }

    /// Stores an inventory file in one transaction, all or nothing. A new cell is inserted; a
    /// cell in stock has the metadata the file has columns for replaced (an attribute column's
    /// empty field removes that attribute; attributes the file has no column for are kept); a
    /// cell queued, on a channel, tested or retired is an error naming its line: what it was
    /// tested as must not change under it.
    public static func add(_ inventory: CellInventoryFile, file: String, client: PostgresClient, logger: Logger) async throws -> Added {
        let columns = Set(inventory.columns)
        let hasType = columns.contains("cell_type"), hasArea = columns.contains("electrode_area_m2")
        let hasMass = columns.contains("active_mass_kg"), hasCapacity = columns.contains("nominal_capacity_ah")
        return try await client.withTransaction(logger: logger) { connection in
            // A round reads a cell's metadata into the StartTest it writes as it assigns the
            // cell: the metadata must not change between that read and the assignment.
            try await SchedulerRecords.waitForRound(connection, logger: logger)
            var result = Added(added: 0, updated: 0)
            for cell in inventory.cells {
                let attributes = StudyRecords.stringMapJSON(cell.attributes)
                var inserted: Bool?
                for try await wasInserted in try await connection.query("""
                    INSERT INTO cells AS c (cell_id, cell_type, electrode_area_m2, active_mass_kg, nominal_capacity_ah, attributes)
                    VALUES (\(cell.cellID), \(cell.cellType), \(cell.electrodeAreaSquareMeters), \(cell.activeMassKilograms),
                            \(cell.nominalCapacityAmpHours), \(attributes)::jsonb)
                    ON CONFLICT (cell_id) DO UPDATE SET
                        cell_type = CASE WHEN \(hasType) THEN EXCLUDED.cell_type ELSE c.cell_type END,
                        electrode_area_m2 = CASE WHEN \(hasArea) THEN EXCLUDED.electrode_area_m2 ELSE c.electrode_area_m2 END,
                        active_mass_kg = CASE WHEN \(hasMass) THEN EXCLUDED.active_mass_kg ELSE c.active_mass_kg END,
                        nominal_capacity_ah = CASE WHEN \(hasCapacity) THEN EXCLUDED.nominal_capacity_ah ELSE c.nominal_capacity_ah END,
                        attributes = (c.attributes - \(inventory.attributeColumns)::text[]) || EXCLUDED.attributes,
                        updated_at = now()
                    WHERE c.state = 'in_stock'
                    RETURNING (xmax = 0)
                    """, logger: logger).decode(Bool.self) { inserted = wasInserted }
                switch inserted {
                case true?: result.added += 1
                case false?: result.updated += 1
                case nil:
                    var state = "not in stock"
                    for try await stored in try await connection.query(
                        "SELECT state FROM cells WHERE cell_id = \(cell.cellID)", logger: logger).decode(String.self) { state = stored }
                    throw SchedulerRecordError("""
                        \(file): line \(cell.line): cell \(cell.cellID) is \(state); only a cell in stock can be updated \
                        (nothing of the file was stored)
                        """)
                }
            }
            return result
        }
    }

    public struct Cell: Sendable, Equatable {
        public var cellID: String
        public var cellType: String?
        public var electrodeAreaSquareMeters: Double?
        public var activeMassKilograms: Double?
        public var nominalCapacityAmpHours: Double?
        /// `cells.attributes` as JSON text.
        public var attributesJSON: String
        public var state: String
        public var study: String?
        public var group: String?
        public var note: String?
    }

    public static let states = ["in_stock", "queued", "assigned", "on_test", "done", "failed", "retired"]

    /// The inventory, cells of no study first, then each study's by group and stock order.
    public static func list(state: String?, study: String?, client: PostgresClient, logger: Logger) async throws -> [Cell] {
        try await client.withConnection { connection in
            var cells: [Cell] = []
            for try await (id, type, area, mass, capacity, attributes, cellState, cellStudy, group, note) in try await connection.query("""
                SELECT c.cell_id, c.cell_type, c.electrode_area_m2, c.active_mass_kg, c.nominal_capacity_ah, c.attributes::text, c.state,
                       c.study_name, c.group_name, c.note
                FROM cells c
                LEFT JOIN study_groups g ON g.study_name = c.study_name AND g.group_name = c.group_name
                LEFT JOIN studies s ON s.study_name = c.study_name
                WHERE (\(state)::text IS NULL OR c.state = \(state)) AND (\(study)::text IS NULL OR c.study_name = \(study))
                ORDER BY c.study_name IS NOT NULL, s.submitted_at, c.study_name, g.position, c.stock_position, c.cell_id
                """, logger: logger).decode((String, String?, Double?, Double?, Double?, String, String, String?, String?, String?).self) {
                cells.append(Cell(
                    cellID: id, cellType: type, electrodeAreaSquareMeters: area, activeMassKilograms: mass, nominalCapacityAmpHours: capacity,
                    attributesJSON: attributes, state: cellState, study: cellStudy, group: group, note: note))
            }
            return cells
        }
    }
}
