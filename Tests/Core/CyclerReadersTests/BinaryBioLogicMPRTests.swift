import Foundation
import Testing
@testable import CyclerReaders

@Suite("BioLogic .mpr")
struct BinaryBioLogicMPRTests {
    @Test("BT-Lab file (aurora, MIT): record count, voltage range, columns, start time")
    func auroraFile() throws {
        var source = try BioLogicMPRSource(url: BinaryFixtures.local("250116_kigr_gen6_01_02_GCPL_CD8.mpr"))
        #expect(source.columnNames == [
            "mode", "ox/red", "error", "control changes", "Ns changes", "counter inc.", "Ns", "time/s",
            "dq/mA.h", "(Q-Qo)/mA.h", "control/V/mA", "Ewe/V", "I Range", "Q charge/discharge/mA.h", "half cycle",
        ])
        let rows = try readAll(&source)
        #expect(rows.count == 3791)
        let ewe = numbers(rows, column: source.columnNames.firstIndex(of: "Ewe/V")!)
        #expect(abs(ewe.min()! - 0.288285) < 1e-6)
        #expect(abs(ewe.max()! - 4.900651) < 1e-6)
        let time = numbers(rows, column: source.columnNames.firstIndex(of: "time/s")!)
        #expect(time.first! > 43_000 && time.first! < 43_300)
        let halfCycle = numbers(rows, column: source.columnNames.firstIndex(of: "half cycle")!)
        #expect(Set(halfCycle.map { Int($0) / 2 }) == [0, 1, 2])
        #expect(source.metadata["Acquisition started on"] == "01/16/2025 14:05:54.213")
        #expect(source.position == 3791)
        var extra: [RawValue] = []
        #expect(try source.next(into: &extra) == false)
    }

    @Test("yadg files (GPL, shared): counts and voltage ranges from PROVENANCE.md")
    func sharedFiles() throws {
        let expected: [(String, Int, Double, Double)] = [
            ("biologic_mpr/gcpl.issue_149.mpr", 132, 3.413783, 3.446635),
            ("biologic_mpr/gcpl.pr_182.1.mpr", 2533, 0.003829, 2.354562),
            ("biologic_mpr/gcpl.mpr", 12057, -0.114067, 0.113721),
        ]
        for (path, count, vmin, vmax) in expected {
            guard let url = BinaryFixtures.shared(path) else { return }
            var source = try BioLogicMPRSource(url: url)
            let rows = try readAll(&source)
            #expect(rows.count == count, "\(path)")
            let ewe = numbers(rows, column: source.columnNames.firstIndex(of: "Ewe/V")!)
            #expect(abs(ewe.min()! - vmin) < 2e-6, "\(path)")
            #expect(abs(ewe.max()! - vmax) < 2e-6, "\(path)")
        }
    }

    @Test(".mpr and its .mpt twin give the same records")
    func matchesTextExport() throws {
        for stem in ["gcpl.issue_149", "gcpl.pr_182.1"] {
            guard let mprURL = BinaryFixtures.shared("biologic_mpr/\(stem).mpr"),
                  let mptURL = BinaryFixtures.shared("biologic_mpt/\(stem).mpt") else { return }
            var source = try BioLogicMPRSource(url: mprURL)
            let rows = try readAll(&source)
            let mpt = try MPTTable(url: mptURL)
            #expect(rows.count == mpt.rows.count, "\(stem)")
            for name in ["time/s", "Ewe/V"] {
                let b = numbers(rows, column: source.columnNames.firstIndex(of: name)!)
                let t = mpt.column(name)
                #expect(b.count == t.count)
                var worst = 0.0
                for (x, y) in zip(b, t) { worst = max(worst, abs(x - y) / max(1, abs(y))) }
                // .mpt prints time/s with 16 digits and Ewe/V with 8: equal to that precision.
                #expect(worst < (name == "time/s" ? 1e-12 : 1e-7), "\(stem) \(name) differs by \(worst)")
            }
            // Every .mpr column also present in the .mpt has the same name.
            for name in source.columnNames { #expect(mpt.header.contains(name), "\(stem): \(name) not in .mpt") }
            if stem == "gcpl.issue_149" {
                #expect(source.metadata["Acquisition started on"] == "01/10/2024 11:02:29.886")
            }
        }
    }

    @Test("truncated data module and unknown column give CyclerReadError")
    func corruptFiles() throws {
        let bytes = try [UInt8](Data(contentsOf: BinaryFixtures.local("250116_kigr_gen6_01_02_GCPL_CD8.mpr")))
        #expect(throws: CyclerReadError.self) { _ = try BioLogicMPRSource(bytes: Array(bytes.prefix(100_000)), file: "cut.mpr") }
        #expect(throws: CyclerReadError.self) { _ = try BioLogicMPRSource(bytes: Array(bytes.prefix(30)), file: "cut.mpr") }
        var wrong = bytes
        wrong[0] = UInt8(ascii: "X")
        #expect(throws: CyclerReadError.self) { _ = try BioLogicMPRSource(bytes: wrong, file: "x.mpr") }
    }
}

/// Minimal .mpt reader for the twin comparison (decimal point or comma, Latin-1 header).
struct MPTTable {
    var header: [String]
    var rows: [[Double]]

    init(url: URL) throws {
        let data = try Data(contentsOf: url)
        let text = String(decoding: data.map { $0 < 128 ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
        let headerCount = lines.first { $0.hasPrefix("Nb header lines") }.flatMap { Int($0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)) } ?? 1
        // Non-ASCII bytes (µ) were replaced by '?': map names back where needed.
        header = lines[headerCount - 1].split(separator: "\t").map { String($0).replacingOccurrences(of: "?", with: "µ") }
        rows = lines[headerCount...].filter { !$0.isEmpty }.map { line in
            line.split(separator: "\t").map { Double($0.replacingOccurrences(of: ",", with: ".")) ?? .nan }
        }
    }

    func column(_ name: String) -> [Double] {
        guard let i = header.firstIndex(of: name) else { return [] }
        return rows.map { i < $0.count ? $0[i] : .nan }
    }
}
