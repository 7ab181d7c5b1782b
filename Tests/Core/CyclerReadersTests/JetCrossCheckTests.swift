import Foundation
import Testing
@testable import CyclerReaders

/// The native Jet reader against mdbtools' `mdb-export` (the reader we used before), value by
/// value, for every table of the Arbin fixture. Skips with a message when mdb-export is absent.
@Suite("Jet reader cross-checked against mdb-export")
struct JetCrossCheckTests {
    static let fixture = BinaryFixtures.local("arbin_example.res")

    static var mdbExport: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"] {
            let candidate = URL(fileURLWithPath: dir).appendingPathComponent("mdb-export")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        print("skipping: mdb-export (mdbtools) is not installed")
        return nil
    }

    /// mdb-export's rows as texts (nil for NULL), columns split on US, rows on RS, nothing quoted.
    static func export(_ tool: URL, table: String, file: URL = fixture) throws -> (header: [String], rows: [[String?]]) {
        let p = Process()
        p.executableURL = tool
        p.arguments = ["-b", "strip", "-Q", "-d", "\u{1F}", "-R", "\u{1E}", "-0", "\u{1D}",
                       "-D", "%Y-%m-%dT%H:%M:%S", "-T", "%Y-%m-%dT%H:%M:%S", file.path, table]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let records = String(decoding: out, as: UTF8.self).split(separator: "\u{1E}", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .newlines) }.filter { !$0.isEmpty }
        let fields = records.map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) }
        guard let header = fields.first else { return ([], []) }
        return (header, fields.dropFirst().map { $0.map { $0 == "\u{1D}" ? nil : $0 } })
    }

    /// A native value printed the way mdb-export prints that column type.
    static func mdbText(_ value: RawValue, type: JetColumnType) -> String? {
        switch value {
        case .missing: return nil
        case .text(let s): return s
        case .number(let x):
            switch type {
            case .bool, .byte, .int16, .int32, .complex: return String(Int64(x))
            case .float32: return String(format: "%.8g", Double(Float(x)))
            case .float64: return String(format: "%.16g", x)
            default: return String(x)
            }
        }
    }

    /// Rows of `table` in page order (as mdb-export walks them), every column decoded.
    static func nativeRows(_ table: String, file: URL = fixture) throws -> (JetTableDefinition, [[RawValue]]) {
        try jetTableRows([UInt8](Data(contentsOf: file)), file: file.lastPathComponent, table: table)
    }

    static func compare(table: String, tool: URL) throws -> Int {
        let (definition, native) = try nativeRows(table)
        let exported = try export(tool, table: table)
        #expect(definition.columns.map(\.name) == exported.header, "\(table): column names")
        #expect(native.count == exported.rows.count, "\(table): row count")
        var mismatches = 0
        for (r, (mine, theirs)) in zip(native, exported.rows).enumerated() {
            for (k, column) in definition.columns.enumerated() where k < theirs.count {
                var expected = theirs[k]
                if expected == "" && column.type != .bool { expected = nil }  // empty text is no value
                let got = mdbText(mine[k], type: column.type)
                if got != expected {
                    mismatches += 1
                    if mismatches <= 5 { Issue.record("\(table) row \(r) column \(column.name) (\(column.type)): native \(got ?? "NULL"), mdb-export \(expected ?? "NULL")") }
                }
            }
        }
        print("jet cross-check \(table): \(native.count) rows × \(definition.columns.count) columns, \(mismatches) mismatches")
        return native.count
    }

    @Test("Channel_Normal_Table: every column of every record equals mdb-export's")
    func records() throws {
        guard let tool = Self.mdbExport else { return }
        let n = try Self.compare(table: "Channel_Normal_Table", tool: tool)
        #expect(n == 2150)
    }

    @Test("ArbinResSource gives mdb-export's records in (Test_ID, Data_Point) order, as the mdb-export reader did")
    func sourceOrder() throws {
        guard let tool = Self.mdbExport else { return }
        let exported = try Self.export(tool, table: "Channel_Normal_Table")
        // The previous reader's rule: stable sort of the export by (Test_ID, Data_Point).
        let key = { (r: [String?]) in (Double(r[0] ?? "") ?? -.infinity, Double(r[1] ?? "") ?? -.infinity) }
        let expected = exported.rows.enumerated().sorted { key($0.element) != key($1.element) ? key($0.element) < key($1.element) : $0.offset < $1.offset }.map(\.element)
        let (definition, _) = try Self.nativeRows("Channel_Normal_Table")
        var source = try ArbinResSource(url: Self.fixture)
        #expect(source.columnNames == exported.header)
        let rows = try readAll(&source)
        #expect(rows.count == expected.count)
        var mismatches = 0
        for (mine, theirs) in zip(rows, expected) {
            for (k, column) in definition.columns.enumerated() where Self.mdbText(mine[k], type: column.type) != theirs[k] { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test("every other table of the fixture decodes as mdb-export does")
    func allTables() throws {
        guard let tool = Self.mdbExport else { return }
        let db = try JetDatabase(bytes: [UInt8](Data(contentsOf: Self.fixture)), file: "arbin_example.res")
        let names = try JetCatalog(database: db).tableNames.filter { !$0.hasPrefix("MSys") && $0 != "Channel_Normal_Table" }
        #expect(names.count >= 10)
        var total = 0
        for name in names.sorted() { total += try Self.compare(table: name, tool: tool) }
        #expect(total > 0)
    }

    @Test("Global_Table metadata equals what mdb-export's row gives")
    func metadata() throws {
        guard let tool = Self.mdbExport else { return }
        let exported = try Self.export(tool, table: "Global_Table")
        let source = try ArbinResSource(url: Self.fixture)
        let row = try #require(exported.rows.first)
        for (name, text) in zip(exported.header, row) {
            guard let text, !text.isEmpty else {
                #expect(source.metadata[name] == nil, "\(name) should be absent")
                continue
            }
            if let x = Double(text), let mine = source.metadata[name].flatMap(Double.init) {
                #expect(abs(x - mine) <= abs(x) * 1e-15, "\(name): \(mine) vs \(text)")
            } else {
                #expect(source.metadata[name] == text, "\(name)")
            }
        }
        #expect(source.metadata["Start_DateTime (ISO, tester local time)"] == "2023-07-24T18:50:00.000")
    }

    @Test("native read of the fixture vs mdb-export of the same table (prints the ratio)")
    func speed() throws {
        guard let tool = Self.mdbExport else { return }
        func best(_ body: () throws -> Int) rethrows -> (Double, Int) {
            var best = Double.infinity, n = 0
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                n = try body()
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return (best, n)
        }
        let (native, nativeRows) = try best {
            var s = try ArbinResSource(url: Self.fixture)
            return try readAll(&s).count
        }
        let (external, externalRows) = try best { try Self.export(tool, table: "Channel_Normal_Table").rows.count }
        #expect(nativeRows == externalRows)
        print("jet speed: native \(String(format: "%.2f", native * 1000)) ms, mdb-export \(String(format: "%.2f", external * 1000)) ms "
              + "for \(nativeRows) records; mdb-export takes \(String(format: "%.1f", external / native))× as long")
    }
}
