/// The xlsx decoder serves the workbook logic (Arbin channel sheets, LAND's Record and Cycle
/// sheets) one sheet at a time.
extension XLSXWorkbook: CyclerWorkbook {
    public func records(sheet: String, continuing header: [String]?) throws -> any RawRecordSource {
        try XLSXSheetSource(workbook: self, sheet: sheet, format: "xlsx", continuing: header)
    }
}
