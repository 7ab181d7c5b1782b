/// A block of records of a `ColumnBlockSource`, held column by column as numbers, for the
/// normaliser to read fields from with plain loads. Bounded (a few thousand records) so that a
/// large file costs no more memory than a small one and the block stays in cache. A class
/// because it owns manually allocated storage that the reader reads through a bare pointer.
final class ColumnBlocks {
    /// Records per block.
    let capacity: Int
    /// Source column of each block column, in block order.
    let columns: [Int]
    /// Column k of the block's record r is `values[k * capacity + r]`.
    let values: UnsafeMutablePointer<Double>
    /// Index of the block's first record, and how many records it holds.
    private(set) var start = 0
    private(set) var count = 0

    /// Small enough that a block of a dozen columns stays in L2 and below malloc's mmap
    /// threshold (a fresh mapping per file cost page faults and zeroing).
    static let recordsPerBlock = 512

    init(columns: [Int], recordCount: Int) {
        self.columns = columns
        capacity = max(1, min(recordCount, Self.recordsPerBlock))
        // Left uninitialised: Double is trivial, and only records a load wrote are read.
        values = .allocate(capacity: max(1, columns.count * capacity))
    }

    deinit { values.deallocate() }

    /// Loads the block holding `record` onwards; returns the record's row.
    func load(from record: Int, source: any ColumnBlockSource) throws -> UnsafeMutablePointer<Double> {
        let n = min(capacity, source.recordCount - record)
        for (k, column) in columns.enumerated() {
            try source.copyColumn(column, from: record, count: n, into: values + k * capacity)
        }
        start = record
        count = n
        return values
    }

    /// What reading a source through blocks needs, worked out once per file.
    struct Plan {
        var columns: [Int]
        var blockColumnByRole: [ColumnRole: Int]
        var nanIsMissing: Bool
        /// The state column's code names, when it is a label column.
        var stateNames: [String]?
    }

    /// The plan for the columns the profile reads, or nil when one of them has no block form
    /// (or the source mixes NaN conventions): the reader then reads `RawValue`s as before.
    static func plan(source: any ColumnBlockSource, roles: [ColumnRole: Int]) -> Plan? {
        var plan = Plan(columns: [], blockColumnByRole: [:], nanIsMissing: true, stateNames: nil)
        var nanConvention: Bool? = nil
        // Role order fixed so that the block layout does not depend on dictionary order.
        for role in ColumnRole.allCases {
            // The record index is never read: its column need not be copied.
            guard role != .recordIndex, let column = roles[role] else { continue }
            guard let kind = source.blockKind(ofColumn: column) else { return nil }
            switch kind {
            case .numbers(let nanIsMissing):
                if let known = nanConvention, known != nanIsMissing { return nil }
                nanConvention = nanIsMissing
            case .labels(let names):
                // Only the state label is read as text; a number read from a label is left to the generic path.
                guard role == .state else { return nil }
                plan.stateNames = names
            }
            if let k = plan.columns.firstIndex(of: column) {
                plan.blockColumnByRole[role] = k
            } else {
                plan.blockColumnByRole[role] = plan.columns.count
                plan.columns.append(column)
            }
        }
        plan.nanIsMissing = nanConvention ?? true
        return plan
    }
}
