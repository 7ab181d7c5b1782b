import Testing
@testable import CellStatistics

@Suite struct LifeTableTests {
    @Test func readsTheMinimalFormat() throws {
        let cells = try LifeTable.read(csv: "cell,group,life,failed\nc1,bare,120,1\nc2,bare,80.5,0\n")
        #expect(cells == [CellLife(cell: "c1", group: "bare", life: 120, failed: true),
                          CellLife(cell: "c2", group: "bare", life: 80.5, failed: false)])
    }

    @Test func toleratesBOMCRLFQuotesBlankLinesAndColumnOrder() throws {
        let text = "\u{FEFF}failed,life,\"group\",cell,kind,channel\r\n"
            + "1, 120 ,\"coated, LiNbO3\",\"c\"\"1\",short,ch 3\r\n"
            + "\r\n"
            + "0,95,\"coated, LiNbO3\",c2,,\r\n"
            + "1,40,bare,\"c3\nsecond line\",FADE,ch4\r\n"
            + "\r\n"
        let cells = try LifeTable.read(csv: text)
        #expect(cells.count == 3)
        #expect(cells[0] == CellLife(cell: "c\"1", group: "coated, LiNbO3", life: 120, failed: true,
                                     channel: "ch 3", kind: "short"))
        #expect(cells[1].kind == nil && cells[1].channel == nil && !cells[1].failed)
        #expect(cells[2].cell == "c3\nsecond line" && cells[2].kind == "FADE")
    }

    @Test func acceptsAFileWithoutATrailingNewline() throws {
        #expect(try LifeTable.read(csv: "cell,group,life,failed\nc1,g,1,1").count == 1)
    }

    /// The line number and the reason, and nothing computed from the rows before the bad one.
    @Test(arguments: [
        ("cell,group,failed\nc1,g,1\n", 1, "missing column 'life'"),
        ("cell,group,life,failed\nc1,g,10,1\nc2,g,-3,0\n", 3, "negative"),
        ("cell,group,life,failed\nc1,g,10,1\nc2,g,ten,0\n", 3, "not a number"),
        ("cell,group,life,failed\nc1,g,nan,1\n", 2, "not a number"),
        ("cell,group,life,failed\nc1,g,inf,1\n", 2, "not a number"),
        ("cell,group,life,failed\nc1,g,10,yes please\n", 2, "must be 1"),
        ("cell,group,life,failed\nc1,,10,1\n", 2, "no group"),
        ("cell,group,life,failed\n,g,10,1\n", 2, "cell id is empty"),
        ("cell,group,life,failed\n\n", 1, "no cells"),
        ("cell,group,life,failed\r\nc1,g,10,1\r\nc2,g,10\r\n", 3, "expected 4 fields"),
        ("cell,group,life,failed\nc1,\"g,10,1\n", 2, "never closed"),
        ("cell,group,life,life,failed\nc1,g,1,2,1\n", 1, "appears twice"),
    ])
    func reportsWhereAndWhy(text: String, line: Int, reason: String) {
        do {
            _ = try LifeTable.read(csv: text)
            Issue.record("expected an error for \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
            #expect(error.description.hasPrefix("line \(line): "))
        }
    }

    @Test func emptyFileIsAnError() {
        #expect(throws: LifeTable.ReadError.self) { try LifeTable.read(csv: "") }
        #expect(throws: LifeTable.ReadError.self) { try LifeTable.read(csv: "\u{FEFF}\n\n") }
    }
}
