import CellModel
import Testing

/// The fast writer's number formatting and its choice of columns.
struct BatteryDataCSVWriterTests {
    func fixed(_ value: Double, _ decimals: Int) -> String {
        var bytes: [UInt8] = []
        BatteryDataCSVWriter.appendFixed(value, decimals: decimals, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func fixedPointFormatting() {
        #expect(fixed(0, 6) == "0")
        #expect(fixed(1.5, 6) == "1.5")
        #expect(fixed(-0.0001, 6) == "-0.0001")
        #expect(fixed(4.2, 6) == "4.2")
        #expect(fixed(78.5e-6, 10) == "0.0000785")
        #expect(fixed(-78.5e-6, 10) == "-0.0000785")
        #expect(fixed(0.1234567, 6) == "0.123457")
        #expect(fixed(3600, 3) == "3600")
        #expect(fixed(1441020.0, 3) == "1441020")
        #expect(fixed(12.0005, 3) == "12.001")
        #expect(fixed(-1e-9, 6) == "0")
        #expect(fixed(.nan, 6) == "NaN")
        #expect(fixed(1e20, 6) == "1e+20")
        #expect(fixed(-9_999_999.999999, 6) == "-9999999.999999")
    }

    @Test func integers() {
        for value: Int64 in [0, 7, 10, 99, 12345, -42, Int64.max] {
            var bytes: [UInt8] = []
            BatteryDataCSVWriter.appendInteger(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }

    @Test func samplesWithoutOptionalColumnsGetOnlyTheRequiredOnes() {
        let bare = [Sample(testTimeSeconds: 0, voltageVolts: 3.7, currentAmperes: -0.001), Sample(testTimeSeconds: 1.5, voltageVolts: 3.69, currentAmperes: -0.001)]
        #expect(BatteryDataCSVWriter.csvText(bare) == "test_time_second,current_ampere,voltage_volt\n0,-0.001,3.7\n1.5,-0.001,3.69\n")
    }}
