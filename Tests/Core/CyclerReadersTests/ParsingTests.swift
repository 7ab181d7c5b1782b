import Foundation
@testable import CyclerReaders
import Testing

@Test func numbersParseExactlyInBothLocales() {
    #expect(FastNumberParser.parse("3.2796359") == 3.2796359)
    #expect(FastNumberParser.parse("-9.63E-05") == -9.63e-05)
    #expect(FastNumberParser.parse("0,1377", decimalSeparator: UInt8(ascii: ",")) == 0.1377)
    #expect(FastNumberParser.parse("3,015299923827115E+001", decimalSeparator: UInt8(ascii: ",")) == 30.15299923827115)
    #expect(FastNumberParser.parse("1,234.5", groupingSeparator: UInt8(ascii: ",")) == 1234.5)
    #expect(FastNumberParser.parse("1.234.567,25", decimalSeparator: UInt8(ascii: ","), groupingSeparator: UInt8(ascii: ".")) == 1234567.25)
    #expect(FastNumberParser.parse("12345678901234567890123") == 12345678901234567890123.0)
    #expect(FastNumberParser.parse("N/A") == nil)
    #expect(FastNumberParser.parse("C_CC") == nil)
    #expect(FastNumberParser.parse("1e") == nil)
    #expect(FastNumberParser.parse("  42 ") == 42)
}

@Test func timesAndDurationsParse() {
    #expect(TimeParsing.durationSeconds(Substring("144:02:18").utf8) == 518538.0)
    #expect(TimeParsing.durationSeconds(Substring("  1d 02:03:04.5000").utf8) == 93784.5)
    #expect(TimeParsing.durationSeconds(Substring("0:00:10,0000").utf8) == 10)
    #expect(TimeParsing.durationSeconds(Substring("2.5").utf8) == nil)
    #expect(TimeParsing.naiveEpochSeconds(Substring("2022-05-18 16:27:52").utf8, order: nil) == unix("2022-05-18T16:27:52"))
    #expect(TimeParsing.naiveEpochSeconds(Substring("03/31/2016 16:05:31").utf8, order: nil) == unix("2016-03-31T16:05:31"))
    #expect(TimeParsing.naiveEpochSeconds(Substring("19.06.2023 17:56:53").utf8, order: nil) == unix("2023-06-19T17:56:53"))
    #expect(TimeParsing.naiveEpochSeconds(Substring("10/21/2019 11:59:59 PM").utf8, order: nil) == unix("2019-10-21T23:59:59"))
    #expect(abs(TimeParsing.naiveEpochSeconds(Substring("\t09/20/2024 08:32:34.558").utf8, order: nil)! - unix("2024-09-20T08:32:34.558")) < 1e-6)
    #expect(TimeParsing.naiveEpochSeconds(Substring("13/45/2020 10:00:00").utf8, order: nil) == nil)
}

@Test func byteParserAgreesWithTheStandardLibraryOnRandomNumbers() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
        let magnitude = Double.random(in: -12...12, using: &generator)
        let value = (Bool.random(using: &generator) ? -1 : 1) * Double.random(in: 1..<10, using: &generator) * pow(10, magnitude.rounded())
        let digits = Int.random(in: 1...17, using: &generator)
        for text in [String(format: "%.\(digits)g", value), String(format: "%.\(digits)E", value), String(format: "%.\(min(digits, 12))f", value)] {
            let expected = Double(text)
            #expect(FastNumberParser.parse(text) == expected, "\(text)")
            let comma = text.replacingOccurrences(of: ".", with: ",")
            #expect(FastNumberParser.parse(comma, decimalSeparator: UInt8(ascii: ",")) == expected, "\(comma)")
        }
    }
}
