import CellModel
import Foundation
import Testing
import TestSupport
@testable import CyclerReaders

/// Deterministic mutation fuzzing of every binary decoder: bit flips, byte overwrites,
/// truncations, insertions, deletions, duplicated chunks and corrupted length-like fields.
/// Every input must decode or fail with a `CyclerReadError`; a trap would end the test run.
///
/// The inner loop (`swift test --skip IntegrationTests`) runs 40 cases per target so it stays a
/// matter of seconds; `./test.sh` (CI) sets FUZZ_CASES=300 per target (and per .res campaign).
/// For a long run:
///   FUZZ_CASES=100000 swift test -c release -Xswiftc -enable-testing --filter BinaryFuzz
/// (FUZZ_SEED changes the sequence; FUZZ_TARGETS=mpr,res limits the run to those targets, so
/// campaigns can run side by side in separate processes; the summary line per target prints
/// the counts.)
@Suite("Binary decoders under mutation fuzzing", .serialized)
struct BinaryFuzzTests {
    static var cases: Int { ProcessInfo.processInfo.environment["FUZZ_CASES"].flatMap(Int.init) ?? 40 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED }
    static func selected(_ target: String) -> Bool {
        guard let list = ProcessInfo.processInfo.environment["FUZZ_TARGETS"], !list.isEmpty else { return true }
        if list.split(separator: ",").contains(where: { $0 == target }) { return true }
        print("fuzz \(target): not in FUZZ_TARGETS, skipped")
        return false
    }

    struct Target: Sendable, CustomTestStringConvertible {
        var name: String
        var testDescription: String { name }
    }

    static let targets: [Target] = ["mpr", "nda", "ndax-zip", "ndc-streams", "xlsx-zip", "xlsx-sheet-xml", "xlsx-shared-strings"].map(Target.init)

    @Test("every mutated input decodes or throws CyclerReadError", arguments: targets)
    func fuzz(_ target: Target) throws {
        guard Self.selected(target.name) else { return }
        let (seeds, run) = try Self.harness(target.name)
        let summary = try Self.campaign(name: target.name, seeds: seeds, cases: Self.cases, run: run)
        #expect(summary.cases == Self.cases)
        #expect(summary.foreignErrors.isEmpty, "non-CyclerReadError thrown: \(summary.foreignErrors.prefix(3))")
    }

    @Test("Arbin .res (native Jet reader) under mutation fuzzing")
    func fuzzRes() throws {
        guard Self.selected("res") else { return }
        let (seeds, run) = try Self.resHarness()
        let summary = try Self.campaign(name: "res", seeds: seeds, cases: Self.cases, run: run)
        #expect(summary.cases == Self.cases)
        #expect(summary.foreignErrors.isEmpty, "non-CyclerReadError thrown: \(summary.foreignErrors.prefix(3))")
    }

    @Test("Arbin .res cut at every page boundary: decodes whole or throws CyclerReadError")
    func resTruncatedAtEveryPage() throws {
        let file = try [UInt8](Data(contentsOf: BinaryFixtures.local("arbin_example.res")))
        let pageSize = 4096
        var decoded = 0
        for pages in 0...(file.count / pageSize) {
            do {
                var s = try ArbinResSource(bytes: Array(file.prefix(pages * pageSize)), file: "cut.res")
                let n = try Self.drain(&s)
                decoded += 1
                // Rows are only ever read from pages that are there: a shorter file never yields more.
                #expect(n <= 2150)
            } catch let e as CyclerReadError {
                #expect(!e.reason.isEmpty)
            }
        }
        // The untruncated file is among the inputs, and it decodes.
        #expect(decoded >= 1)
        print("res truncations: \(file.count / pageSize + 1) page-boundary cuts, \(decoded) decoded, the rest refused with CyclerReadError")
    }

    /// Seeds for the .res campaign: the whole database (mutations anywhere, lengths changed),
    /// and each page the reader depends on (catalog, the two tables' definitions, usage maps and
    /// data pages), mutated alone and put back in place so the damage lands where it matters.
    static func resHarness() throws -> ([[UInt8]], Run) {
        let file = try [UInt8](Data(contentsOf: BinaryFixtures.local("arbin_example.res")))
        let db = try JetDatabase(bytes: file, file: "seed.res")
        let catalog = try JetCatalog(database: db)
        var pages: Set<Int> = [JetDatabase.catalogDefinitionPage]
        var tables = [try JetTableDefinition(database: db, page: JetDatabase.catalogDefinitionPage, name: JetCatalog.tableName)]
        tables.append(try catalog.table(named: "Channel_Normal_Table", database: db))
        tables.append(try catalog.table(named: "Global_Table", database: db))
        for table in tables {
            pages.insert(table.page)
            pages.insert(table.usageMapPointer >> 8)
            pages.formUnion(try JetRowCursor(database: db, table: table).pages)
        }
        let pageSize = db.pageSize
        let targets = pages.sorted()
        let wholeFileShare = max(1, targets.count / 2)  // about a third of the cases mutate the file as a whole
        var seeds = Array(repeating: file, count: wholeFileShare)
        for p in targets { seeds.append(Array(file[(p * pageSize)..<((p + 1) * pageSize)])) }
        return (seeds, { k, bytes in
            var input: [UInt8]
            if k < wholeFileShare {
                // Odd-length results check the whole-pages rule; the rest are cut to whole pages
                // so the damage reaches the page walkers.
                input = bytes.count % pageSize != 0 && bytes.count % 2 == 0 ? Array(bytes.prefix(bytes.count / pageSize * pageSize)) : bytes
            } else {
                let page = bytes.count >= pageSize ? Array(bytes.prefix(pageSize)) : bytes + [UInt8](repeating: 0, count: pageSize - bytes.count)
                let p = targets[k - wholeFileShare]
                input = file
                input.replaceSubrange((p * pageSize)..<((p + 1) * pageSize), with: page)
            }
            var s = try ArbinResSource(bytes: input, file: "fuzz.res")
            return try drain(&s)
        })
    }

    @Test("zip bomb: an entry inflating past the budget is refused, not allocated")
    func zipBomb() throws {
        let book = try Data(contentsOf: BinaryFixtures.local("land_synthetic.xlsx"))
        let tight = BinaryReadLimits(maximumEntryBytes: 600, maximumFileBytes: 1 << 20)
        #expect(throws: CyclerReadError.self) { _ = try WorkbookRecords.open(XLSXWorkbook(data: book, file: "b.xlsx", limits: tight), file: "b.xlsx").source }
        // A real bomb (written by make_synthetic_xlsx.py): 16 MiB of zeros in a 16 KiB zip.
        let bomb = try Data(contentsOf: BinaryFixtures.local("zip_bomb.xlsx"))
        #expect(bomb.count < 64 << 10)
        do {
            _ = try XLSXWorkbook(data: bomb, file: "bomb.xlsx", limits: BinaryReadLimits(maximumEntryBytes: 4 << 20))
            Issue.record("bomb accepted")
        } catch let e as CyclerReadError {
            #expect(e.reason.contains("limit"))
        }
    }

    // MARK: harness

    typealias Run = (_ seedIndex: Int, _ bytes: [UInt8]) throws -> Int

    static func drain(_ source: inout some RawRecordSource) throws -> Int {
        var row: [RawValue] = []
        var n = 0
        while try source.next(into: &row) {
            n += 1
            if n > 50_000_000 { throw CyclerReadError(file: "fuzz", reason: "runaway record stream") }
        }
        return n
    }

    static let profiles = (try? FixturePaths.library().profiles) ?? []

    /// Drains the decoder's raw rows, then reads a fresh copy through the normaliser (the
    /// columnar block path for .mpr / .nda / .ndax), so damaged values meet it too. A source
    /// no profile accepts is a `CyclerReadError` like any other refusal.
    static func drainNormalised(_ source: some RawRecordSource, file: String) throws -> Int {
        var raw = source
        let n = try drain(&raw)
        var reader = try CyclerFile.reader(for: source, candidates: profiles, path: file)
        var records = 0
        while try reader.next() != nil {
            records += 1
            if records > 50_000_000 { throw CyclerReadError(file: "fuzz", reason: "runaway record stream") }
        }
        return n + records
    }

    static func harness(_ name: String) throws -> ([[UInt8]], Run) {
        let local = { (f: String) throws -> [UInt8] in try [UInt8](Data(contentsOf: BinaryFixtures.local(f))) }
        switch name {
        case "mpr":
            return ([try local("fuzz_seed_small.mpr")], { _, bytes in
                try drainNormalised(BioLogicMPRSource(bytes: bytes, file: "fuzz.mpr"), file: "fuzz.mpr")
            })
        case "nda":
            return ([try local("fuzz_seed_small.nda")], { _, bytes in
                try drainNormalised(NewareNDAReader.decode(bytes: bytes, file: "fuzz.nda"), file: "fuzz.nda")
            })
        case "ndax-zip":
            return ([try local("123456789012_Unit27_Example_Data_File.ndax")], { _, bytes in
                var s = try NewareNDAXReader.decode(data: Data(bytes), file: "fuzz.ndax")
                return try drain(&s)
            })
        case "ndc-streams":
            // Mutate one stream of a split-stream (ndc 14, with aux) or old-layout (ndc 5) .ndax.
            let split = try ZipFixtures.streams(of: BinaryFixtures.local("123456789012_Unit27_Example_Data_File.ndax"), pages: 3)
            let old = try ZipFixtures.streams(of: BinaryFixtures.local("test.ndax"), pages: 3)
            let sets = [split, old]
            var seeds: [[UInt8]] = []
            var owners: [(set: Int, name: String)] = []
            for (k, set) in sets.enumerated() {
                for (name, bytes) in set.sorted(by: { $0.key < $1.key }) where name.hasSuffix(".ndc") {
                    seeds.append(bytes); owners.append((k, name))
                }
            }
            return (seeds, { k, bytes in
                let owner = owners[k]
                var streams = sets[owner.set]
                streams[owner.name] = bytes
                return try drainNormalised(NewareNDAXReader.decode(streams: streams, file: "fuzz.ndax"), file: "fuzz.ndax")
            })
        case "xlsx-zip":
            return ([try local("land_synthetic.xlsx"), try local("arbin_split_synthetic.xlsx")], { _, bytes in
                var s = try WorkbookRecords.open(XLSXWorkbook(data: Data(bytes), file: "fuzz.xlsx"), file: "fuzz.xlsx").source
                return try drain(&s)
            })
        case "xlsx-sheet-xml":
            let real = try ZipFixtures.entry("xl/worksheets/sheet2.xml", of: BinaryFixtures.local("bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"))
            let land = try ZipFixtures.entry("xl/worksheets/s3.xml", of: BinaryFixtures.local("land_synthetic.xlsx"))
            return ([Array(real.prefix(12_000)) + Array("</row></sheetData></worksheet>".utf8), land], { _, bytes in
                var scanner = XLSXSheetScanner(xml: bytes, sheet: "fuzz", file: "fuzz.xlsx")
                var cells: [(column: Int, value: XLSXCellValue, style: Int)] = []
                var n = 0
                while try scanner.nextRow(into: &cells) {
                    n += 1
                    if n > 10_000_000 { throw CyclerReadError(file: "fuzz", reason: "runaway rows") }
                }
                return n
            })
        case "xlsx-shared-strings":
            let real = try ZipFixtures.entry("xl/sharedStrings.xml", of: BinaryFixtures.local("bs542_004_gr_li_50ua_50mv_1v_191020_Channel_11.xlsx"))
            let land = try ZipFixtures.entry("xl/sharedStrings.xml", of: BinaryFixtures.local("land_synthetic.xlsx"))
            return ([real, land], { _, bytes in try XLSXWorkbook.parseSharedStrings(bytes, file: "fuzz.xlsx").count })
        default:
            throw CyclerReadError(file: "fuzz", reason: "unknown target \(name)")
        }
    }

    struct Summary {
        var cases = 0, decoded = 0, rejected = 0
        var foreignErrors: [String] = []
        var slowestSeconds = 0.0
    }

    static func campaign(name: String, seeds: [[UInt8]], cases: Int, mutationsPerCase: ClosedRange<Int> = 1...4, run: Run) throws -> Summary {
        var rng = SplitMix64(state: seed ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1) }))
        var summary = Summary()
        let start = Date()
        for _ in 0..<cases {
            let k = Int(rng.next() % UInt64(seeds.count))
            var bytes = seeds[k]
            let count = mutationsPerCase.lowerBound + Int(rng.next() % UInt64(mutationsPerCase.count))
            for _ in 0..<count { ByteMutator.mutate(&bytes, &rng) }
            let t0 = Date()
            do {
                _ = try run(k, bytes)
                summary.decoded += 1
            } catch is CyclerReadError {
                summary.rejected += 1
            } catch {
                summary.foreignErrors.append("\(type(of: error)): \(error)")
            }
            summary.slowestSeconds = max(summary.slowestSeconds, Date().timeIntervalSince(t0))
            summary.cases += 1
            if cases >= 10_000 && summary.cases % 1000 == 0 {
                // stderr is unbuffered: progress is visible while a long run is under way.
                FileHandle.standardError.write(Data("fuzz \(name) progress: \(summary.cases) cases, \(summary.rejected) rejected, \(summary.foreignErrors.count) other errors\n".utf8))
            }
        }
        print("fuzz \(name): \(summary.cases) cases, \(summary.decoded) decoded, \(summary.rejected) rejected with CyclerReadError, "
              + "\(summary.foreignErrors.count) other errors; slowest case \(String(format: "%.1f", summary.slowestSeconds * 1000)) ms, "
              + "total \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        return summary
    }
}

/// Helpers to take fixtures apart and build hostile zips.
enum ZipFixtures {
    static func entry(_ path: String, of url: URL) throws -> [UInt8] {
        try ZipContainer(url: url, limits: .default).read(path)
    }

    /// The members of an .ndax, `.ndc` streams cut to `pages` data pages after the header page.
    static func streams(of url: URL, pages: Int) throws -> [String: [UInt8]] {
        let zip = try ZipContainer(url: url, limits: .default)
        var out: [String: [UInt8]] = [:]
        for path in zip.entryPaths {
            let bytes = try zip.read(path)
            out[path] = path.hasSuffix(".ndc") ? Array(bytes.prefix(4096 * (pages + 1))) : bytes
        }
        return out
    }
    }
