import CyclerReaders
import Foundation
import Testing

@Test func maccorCommaSeparatedExportWithMonthNames() throws {
    let report = try InspectReport.inspect(path: FixturePaths.fixture("maccor_csv/sample_data_maccor.csv"), library: FixturePaths.library())
    #expect(report.format == "maccor_txt")
    #expect(report.rows == 17)
    #expect(report.cycles == [1])
    #expect(report.firstUnixTimeSeconds == unix("2023-11-23T15:56:11"))
    #expect(report.lastUnixTimeSeconds == unix("2023-11-23T15:56:24"))
    #expect(report.lastTestTimeSeconds == 15.06)
    // No State column: the direction comes from the current sign; step 2 charges 0.024 Ah.
    #expect(report.perCycle[1]?.charge == 0.024)
}

@Test func maccorThousandsSeparatorsAndSignFromState() throws {
    var text = "Today's Date 01/02/2020  Date of Test:\t01/01/2020\t Filename:\tC:\\x.001 Procedure: p.000\tComment/Barcode: \n"
    text += "Rec#\tCyc#\tStep\tTest (Sec)\tStep (Sec)\tAmp-hr\tWatt-hr\tAmps\tVolts\tState\tES\tDPt Time\n"
    var t = 1200.0
    for i in 0..<30 {
        let state = i < 15 ? "C" : "D"
        let step = i < 15 ? 1 : 2
        let k = i < 15 ? i : i - 15
        let seconds = String(format: "%.4f", t)
        let grouped = seconds.count > 9 ? String(seconds.prefix(seconds.count - 8)) + "," + String(seconds.suffix(8)) : seconds
        // Maccor writes the magnitude; the State column says which way it flows.
        text += "\(i + 1)\t1\t\(step)\t\(grouped)\t\(Double(k) * 10)\t\(Double(k) * 0.001)\t0\t2.0\t3.\(i)\t\(state)\t0\t01/01/2020 00:\(String(format: "%02d", Int(t - 1200) / 60)):\(String(format: "%02d", Int(t - 1200) % 60))\n"
        t += 10
    }
    let path = try FixturePaths.temporaryFile("thousands.001", text: text)
    var reader = try CyclerFile.open(path: path, library: FixturePaths.library())
    var records: [CyclerRecord] = []
    while let r = try reader.next() { records.append(r) }
    #expect(records.count == 30)
    #expect(records[0].testTimeAsWrittenSeconds == 1200)
    #expect(records[29].testTimeAsWrittenSeconds == 1490)
    #expect(records[0].sample.currentAmperes == 2.0)
    #expect(records[20].sample.currentAmperes == -2.0)
    let report = try InspectReport.inspect(path: path, library: FixturePaths.library())
    #expect(abs((report.perCycle[1]?.charge ?? 0) - 0.014) < 1e-12)
    #expect(abs((report.perCycle[1]?.discharge ?? 0) - 0.014) < 1e-12)
}
