import CellModel
import Foundation
import Testing

@Suite struct BatteryDataFormatCSVTests {
    @Test func headerNamesNotOrderAreTheContract() throws {
        let text = "voltage_volt,extra,current_ampere,test_time_second,cycle_count\r\n0.2,x,7.85e-05,0,1\r\n-0.21,y,-7.85e-05,60.5,1\r\n"
        let columns = try BatteryDataFormatCSV.parse(text)
        #expect(columns.count == 2)
        #expect(columns.testTimeSeconds == [0, 60.5])
        #expect(columns.voltageVolts == [0.2, -0.21])
        #expect(columns.currentAmperes == [7.85e-05, -7.85e-05])
        #expect(columns.cycleIndex == [1, 1])
        #expect(columns.temperatureCelsius.isEmpty && columns.stepIndex.isEmpty)
    }

    @Test func byteOrderMarkBlankLinesAndOptionalColumns() throws {
        let text = "\u{FEFF}test_time_second,current_ampere,voltage_volt,temperature_celsius,step_count\n0,1e-4,3.9,25.1,1\n\n10,1e-4,3.91,,1\n"
        let columns = try BatteryDataFormatCSV.parse(text)
        #expect(columns.count == 2)
        #expect(columns.temperatureCelsius[0] == 25.1 && columns.temperatureCelsius[1].isNaN)
        #expect(columns.stepIndex == [1, 1])
    }

    @Test func errorsNameTheLineAndTheColumn() {
        #expect(throws: BatteryDataFormatCSV.ReadError.self) { try BatteryDataFormatCSV.parse("") }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,voltage_volt\n0,1\n")
            Issue.record("missing column accepted")
        } catch {
            #expect(error.description.contains("current_ampere"))
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,1,2\n5,1,abc\n")
            Issue.record("bad number accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.description.contains("voltage_volt") && error.description.contains("abc"))
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt\n0,1\n")
            Issue.record("short row accepted")
        } catch {
            #expect(error.line == 2)
        }
        do {
            _ = try BatteryDataFormatCSV.parse("test_time_second,current_ampere,voltage_volt,cycle_count\n0,1,2,1.5\n")
            Issue.record("fractional cycle accepted")
        } catch {
            #expect(error.description.contains("cycle_count"))
        }
    }}
