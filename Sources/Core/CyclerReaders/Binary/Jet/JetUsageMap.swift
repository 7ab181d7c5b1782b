import Foundation

/// The pages a table owns, from its usage map: a row whose first byte says how the map is
/// stored. Type 0 holds the bitmap inline (a first page number, then one bit per page);
/// type 1 lists pages of type 5 whose bitmaps each cover (page size − 4) × 8 pages, for files
/// too big for an inline map. Pages come out ascending, each at most once, and never past
/// the end of the file.
enum JetUsageMap {
    static func ownedPages(database db: JetDatabase, pointer: Int, table: String) throws -> [Int] {
        let map = try JetDataPage.rowBytes(database: db, pointer: pointer, table: table, purpose: "usage map")
        guard let kind = map.first else {
            throw db.error(page: pointer >> 8, row: pointer & 0xFF, table: table, "usage map row is empty")
        }
        var seen = [Bool](repeating: false, count: db.pageCount)
        var pages: [Int] = []
        func add(_ page: Int, _ source: String) throws {
            guard page < db.pageCount else {
                throw db.error(page: pointer >> 8, row: pointer & 0xFF, table: table,
                               "\(source) lists page \(page), but the file has \(db.pageCount) pages (truncated or corrupt)")
            }
            if page > 0 && !seen[page] { seen[page] = true; pages.append(page) }
        }
        switch kind {
        case 0:
            guard map.count >= 5 else {
                throw db.error(page: pointer >> 8, row: pointer & 0xFF, table: table, "inline usage map of \(map.count) bytes has no first-page field")
            }
            let base = map.startIndex
            let firstPage = Int(map[base + 1]) | Int(map[base + 2]) << 8 | Int(map[base + 3]) << 16 | Int(map[base + 4]) << 24
            for (k, byte) in map.dropFirst(5).enumerated() where byte != 0 {
                for bit in 0..<8 where byte & (1 << bit) != 0 {
                    try add(firstPage + k * 8 + bit, "usage map")
                }
            }
        case 1:
            let pagesPerMapPage = (db.pageSize - 4) * 8
            let entries = (map.count - 1) / 4
            var mapPagesSeen = Set<Int>()
            for k in 0..<entries {
                let at = map.startIndex + 1 + 4 * k
                let mapPage = Int(map[at]) | Int(map[at + 1]) << 8 | Int(map[at + 2]) << 16 | Int(map[at + 3]) << 24
                if mapPage == 0 { continue }
                let start = try db.pageStart(mapPage, table: table, purpose: "usage map entry \(k)")
                guard db.pageType(mapPage) == JetPageType.usageBitmap.rawValue else {
                    throw db.error(page: mapPage, table: table, "usage map entry \(k) points to a page of type \(db.pageType(mapPage)), not a usage bitmap (type 5)")
                }
                // The same bitmap page listed twice would only repeat its pages.
                guard mapPagesSeen.insert(mapPage).inserted else { continue }
                for byteIndex in 4..<db.pageSize {
                    let byte = db.bytes.storage[start + byteIndex]
                    if byte == 0 { continue }
                    for bit in 0..<8 where byte & (1 << bit) != 0 {
                        try add(k * pagesPerMapPage + (byteIndex - 4) * 8 + bit, "usage bitmap page \(mapPage)")
                    }
                }
            }
            pages.sort()
        default:
            throw db.error(page: pointer >> 8, row: pointer & 0xFF, table: table, "unknown usage map type \(kind) (expected 0 or 1)")
        }
        return pages
    }
}
