import CyclerReaders
import Foundation
import Testing

/// Shows an `.mpt` export's columns restricted to those an `.mpr` binary of the same acquisition
/// holds (no `cycle number`, no `<I>/mA`, no `Q charge/mA.h`), labelled as the binary container:
/// the mpr profile must rebuild the same records from them.
struct MPRColumnsOfMPT: RawRecordSource {
    var inner: DelimitedTextSource
    var keep: [Int]
    var format: String { "biologic_mpr" }
    var columnNames: [String]
    var metadata: [String: String] { inner.metadata }
    var position: Int { inner.position }
    private var full: [RawValue] = []

    init(_ inner: DelimitedTextSource) {
        self.inner = inner
        let mprColumns: Set<String> = ["Ns", "time/s", "dq/mA.h", "(Q-Qo)/mA.h", "control/V/mA", "Ewe/V", "I Range", "Ece/V", "P/W", "Q charge/discharge/mA.h", "half cycle"]
        keep = inner.columnNames.indices.filter { mprColumns.contains(inner.columnNames[$0]) }
        columnNames = keep.map { inner.columnNames[$0] }
    }

    mutating func next(into row: inout [RawValue]) throws -> Bool {
        guard try inner.next(into: &full) else { return false }
        row = keep.map { full[$0] }
        return true
    }
}

@Test(.enabled(if: FixturePaths.sharedAvailable, "GPL BioLogic fixtures live in ../shared/fixtures/cyclers, which is absent: skipped"),
      arguments: ["biologic_mpt/gcpl.issue_149.mpt", "biologic_mpt/gcpl.pr_182.1.mpt"])
func mprProfileRebuildsTheTextExportsRecords(_ file: String) throws {
    let path = FixturePaths.sharedFixture(file)
    let library = try FixturePaths.library()
    var text = try CyclerFile.open(path: path, library: library)
    let detected = try #require(try TextExportProbe.layout(path: path, library: library))
    let binaryLike = MPRColumnsOfMPT(try DelimitedTextSource(path: path, format: "text", layout: detected.layout))
    #expect(!binaryLike.columnNames.contains("cycle number"))
    var binary = try CyclerFile.reader(for: binaryLike, candidates: library.profiles, path: path)
    #expect(binary.profile.name == "biologic_mpr")
    var count = 0
    while let a = try text.next() {
        let b = try #require(try binary.next())
        #expect(a.instrumentCycle == b.instrumentCycle)
        #expect(a.sample.testTimeSeconds == b.sample.testTimeSeconds)
        #expect(a.sample.voltageVolts == b.sample.voltageVolts)
        #expect(abs(a.sample.currentAmperes - b.sample.currentAmperes) < 1e-9)
        count += 1
    }
    #expect(try binary.next() == nil)
    #expect(count > 100)
}
