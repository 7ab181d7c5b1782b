import Foundation

/// Walks a table's live rows page by page, in the order of its usage map (Jet's page order,
/// which is not necessarily insertion order). Holds one page's row locations at a time. Pages
/// the map lists that are not this table's data pages (long-value pages, pages since reused)
/// are passed over, as Access does.
struct JetRowCursor {
    let database: JetDatabase
    let table: JetTableDefinition
    let pages: [Int]
    private var pageIndex = 0
    private var pending: [JetRowLocation] = []
    private var pendingIndex = 0

    init(database: JetDatabase, table: JetTableDefinition) throws {
        self.database = database
        self.table = table
        pages = try JetUsageMap.ownedPages(database: database, pointer: table.usageMapPointer, table: table.name)
    }

    mutating func next() throws -> JetRowLocation? {
        while pendingIndex >= pending.count {
            guard pageIndex < pages.count else { return nil }
            let page = pages[pageIndex]
            pageIndex += 1
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            guard database.pageType(page) == JetPageType.data.rawValue, try database.u32(page: page, 4) == table.page else { continue }
            try JetDataPage.liveRows(database: database, page: page, table: table, into: &pending)
        }
        defer { pendingIndex += 1 }
        return pending[pendingIndex]
    }
}
