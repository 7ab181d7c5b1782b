import CellStatistics
import CellfleetReports
/// A person's table: columns padded to their widest cell, two spaces apart, numbers on the right.
enum TextTable {
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        SurvivalReport.align(rows, rightAligned: rightAligned)
    }
}
