import Foundation

/// The database catalog: the system table MSysObjects (defined on page 2) has one row per
/// object; a table's row gives its name, its type (1 = local table, in the low 7 bits) and,
/// in the low 24 bits of its Id, the page of its table definition.
struct JetCatalog {
    static let tableName = "MSysObjects"
    static let localTableType = 1

    /// Lower-cased name → (name as stored, definition page).
    private var pages: [String: (name: String, page: Int)] = [:]
    var tableNames: [String] { pages.values.map(\.name) }

    init(database db: JetDatabase) throws {
        let definition = try JetTableDefinition(database: db, page: JetDatabase.catalogDefinitionPage, name: Self.tableName)
        func column(_ name: String) throws -> Int {
            guard let k = definition.columns.firstIndex(where: { $0.name.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw db.error(page: JetDatabase.catalogDefinitionPage, table: Self.tableName, "catalog has no \(name) column")
            }
            return k
        }
        let id = try column("Id"), name = try column("Name"), type = try column("Type")
        var cursor = try JetRowCursor(database: db, table: definition)
        var decoder = JetRowDecoder(database: db, table: definition)
        while let at = try cursor.next() {
            try decoder.load(at)
            guard case .number(let kind) = try decoder.value(type), let kind = Int(exactly: kind), kind & 0x7F == Self.localTableType,
                  case .text(let objectName) = try decoder.value(name),
                  case .number(let objectID) = try decoder.value(id), let objectID = Int(exactly: objectID) else { continue }
            let key = objectName.lowercased()
            if pages[key] == nil { pages[key] = (objectName, objectID & 0x00FF_FFFF) }
        }
    }

    func definitionPage(ofTable name: String) -> Int? { pages[name.lowercased()]?.page }

    /// The definition of table `name` (case-insensitive, as Access compares names).
    func table(named name: String, database db: JetDatabase) throws -> JetTableDefinition {
        guard let page = definitionPage(ofTable: name) else {
            let known = tableNames.isEmpty ? "the catalog lists no tables" : "tables: " + tableNames.sorted().prefix(30).joined(separator: ", ")
            throw db.error(page: nil, table: name, "no table named \(name) in the database catalog (\(known))")
        }
        return try JetTableDefinition(database: db, page: page, name: name)
    }
}
