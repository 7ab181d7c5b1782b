import Testing
@testable import CellStatistics

/// `LifeTable.csv` writes what `LifeTable.read` reads back to the same lives: `stats --database
/// --lives-csv` and `stats --input` on its file must give one report.
@Suite struct LifeTableWritingTests {
    @Test func writtenLivesReadBackTheSame() throws {
        let cells = [
            CellLife(cell: "c1", group: "coated, 0.1 mA", life: 1.0 / 3, failed: true, channel: "a1/1", cycler: "a1", kind: "P2"),
            CellLife(cell: " padded ", group: "say \"bare\"", life: 12, failed: false, channel: "a1/2", cycler: "a1"),
            CellLife(cell: "c3", group: "bare", life: 1e-7, failed: false, channel: nil, cycler: "a2"),
            CellLife(cell: "c4", group: "bare", life: 123456789.123, failed: true, channel: "a2/1", cycler: "a2", kind: "S6"),
        ]
        let text = LifeTable.csv(cells)
        #expect(text.hasPrefix("cell,group,life,failed,channel,cycler,kind\n"))
        #expect(try LifeTable.read(csv: text) == cells)
    }

    @Test func optionalColumnsAreWrittenOnlyWhenUsed() throws {
        let cells = [CellLife(cell: "c1", group: "g", life: 3, failed: true)]
        #expect(LifeTable.csv(cells) == "cell,group,life,failed\nc1,g,3.0,1\n")
        #expect(try LifeTable.read(csv: LifeTable.csv(cells)) == cells)
    }
}
