import CellModel
import Foundation
import PropertyBased
import Testing

/// The one number rule of every JSON the CLI prints.
@Suite struct JSONNumberTests {
    @Test func integerValuedDoublesAreIntegers() {
        #expect(JSONNumber.text(3) == "3")
        #expect(JSONNumber.text(-42) == "-42")
        #expect(JSONNumber.text(0) == "0")
        #expect(JSONNumber.text(-0.0) == "0")
        #expect(JSONNumber.text(1_652_891_272) == "1652891272")
        #expect(JSONNumber.text(999_999_999_999_999) == "999999999999999")
        #expect(JSONNumber.text(1e15) == "1000000000000000")
        #expect(JSONNumber.text(9_007_199_254_740_992) == "9007199254740992")
        #expect(JSONNumber.text(1e16) == "1e+16", "from 10¹⁶ on, the shortest form")
    }

    @Test func otherNumbersInTheirShortestExactForm() {
        #expect(JSONNumber.text(2.5) == "2.5")
        #expect(JSONNumber.text(0.1) == "0.1")
        #expect(JSONNumber.text(1e-05) == "1e-05")
        #expect(JSONNumber.text(-1.5e20) == "-1.5e+20")
        #expect(JSONNumber.text(5.12) == "5.12")
    }

    @Test func nonFiniteIsNull() {
        #expect(JSONNumber.text(.nan) == "null")
        #expect(JSONNumber.text(.infinity) == "null")
        #expect(JSONNumber.text(-.infinity) == "null")
        #expect(JSONText.finite(nil).render() == "null")
        #expect(JSONText.number(.nan).render() == "null")
    }

    /// Any finite double is written as a JSON number that a correctly rounding parser reads back
    /// bit for bit (-0 aside, written 0). (Foundation's JSONSerialization on Linux is not one:
    /// it misreads some 17-digit numbers, which is why the check is Swift's and C's parsers.)
    @Test func everyFiniteNumberRoundTrips() async {
        let grammar = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/
        await propertyCheck(count: 2000, input: Gen.uint64(in: 0 ... .max)) { bits in
            let value = Double(bitPattern: bits)
            guard value.isFinite else { return }
            let text = JSONNumber.text(value)
            #expect(text.wholeMatch(of: grammar) != nil, "\(text) is not a JSON number")
            let expected = value == 0 ? 0 : value.bitPattern
            #expect(Double(text)?.bitPattern == expected, "\(text)")
            #expect(strtod(text, nil).bitPattern == expected, "\(text)")
        }
    }

    @Test func foundationReadsTheTypicalOutputs() throws {
        let text = "[" + [3, -0.0, 2.5, 1e-05, 1652891272.5, 381_600, 0.000123456789012].map(JSONNumber.text).joined(separator: ",") + "]"
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [NSNumber])
        #expect(parsed.map(\.doubleValue) == [3, 0, 2.5, 1e-05, 1652891272.5, 381_600, 0.000123456789012])
    }

    @Test func objectsKeepTheirOrderAndCompactFormHasNoSpaces() {
        let object = JSONText.object([("z", .integer(1)), ("a", .number(2.5)), ("m", .array([.null, .bool(true), .string("x\"y")]))])
        #expect(object.render(pretty: false) == #"{"z":1,"a":2.5,"m":[null,true,"x\"y"]}"#)
    }
}
