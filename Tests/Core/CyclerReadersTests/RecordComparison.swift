import CyclerReaders

/// Every remaining record of a reader.
func allRecords(_ reader: inout CyclerRecordReader) throws -> [CyclerRecord] {
    var all: [CyclerRecord] = []
    try reader.forEachRecord { all.append($0) }
    return all
}

/// The same record, a missing value (NaN) matching a missing value. Described only where `==`
/// says no: describing every record of an 18 700-record file dominated these tests' time.
func sameRecord(_ a: CyclerRecord, _ b: CyclerRecord) -> Bool {
    a == b || String(describing: a) == String(describing: b)
}

func sameRecords<A: Collection<CyclerRecord>, B: Collection<CyclerRecord>>(_ a: A, _ b: B) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy(sameRecord)
}
