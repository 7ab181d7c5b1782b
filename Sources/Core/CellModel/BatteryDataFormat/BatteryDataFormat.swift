/// The Battery Data Format (BDF) columns cellfleet reads and writes, in one table: every BDF CSV
/// the project touches (`simulate` writes, `convert` writes, `detect` reads, the generic profile
/// of the readers reads) goes through `BatteryDataCSVWriter` and `BatteryDataFormatCSV`, which
/// both take their columns from here.
///
/// The meanings follow the BDF's own definitions (Battery Data Alliance, ontology 1.2), not any
/// one instrument's, because that is what a third-party BDF tool will assume of our files:
/// - `cycle_count` is the instrument's cycle index as reported ("converters must not renumber
///   cycles"): `Sample.cycleIndex`.
/// - `step_count` is "incremented by one each time a new step begins, for the duration of the
///   test; it never resets and never repeats". The instrument's own step number repeats every
///   cycle and restarts when a channel restarts, so it cannot be written there: the writer
///   derives the count (`StepCounter`) and the instrument's step goes to `step_id`.
/// - `step_id` is "the step identifier as defined in the test program" (Arbin Step_Index, Neware
///   Step_ID, BioLogic Ns): `Sample.stepIndex`, which is what the readers and the simulator put
///   there. (BDF's `step_index` is a data-point counter within a step, which nobody here needs;
///   we never write it, so a file of ours cannot be misread through it.)
/// - Units are in the names and fixed: seconds, amperes (positive = charge), volts, °C.
/// - A missing value is an empty field, never `NaN`: BDF rows carry every column of the header,
///   and an empty CSV field is what pandas, polars and the BDF tools read as missing, whereas
///   `NaN`/`inf` text is a number to some of them and garbage to others.
public enum BatteryDataFormat {
    /// Which value of a row a column carries.
    public enum Field: Sendable, Hashable {
        /// `Sample.testTimeSeconds`.
        case testTime
        /// `Sample.unixTimeSeconds` (NaN in a sample: not known).
        case unixTime
        /// `Sample.currentAmperes`, positive = charge.
        case current
        /// `Sample.voltageVolts`.
        case voltage
        /// `Sample.temperatureCelsius`.
        case temperature
        /// `Sample.cycleIndex`, as the instrument numbers it.
        case cycleCount
        /// A running count of steps, derived while writing (`StepCounter`); read back into
        /// `Sample.stepIndex` only when a file has no `step_id`.
        case stepCount
        /// `Sample.stepIndex`, the instrument's step.
        case stepID
        /// The record's position in its source (0-based), or the row's when there is none.
        case recordIndex
        /// `Sample.capacityAmpHours`: the cycler's own capacity counter, as it recorded it.
        case capacity
        /// `Sample.energyWattHours`: the cycler's own energy counter.
        case energy
        /// `Sample.stepType`, by name (`StepType.batteryDataFormatName`); empty when unknown.
        case stepType
    }

    /// What an absent value is.
    public enum MissingValue: Sendable, Hashable {
        /// Every row must have a finite number; a reader refuses the row otherwise.
        case refused
        /// Written as an empty field. Read as absent: an empty field, and also `NaN`/`inf` text,
        /// which earlier cellfleet writers put there.
        case emptyField
    }

    public struct Column: Sendable, Hashable {
        /// The BDF machine-readable name, the header of the column.
        public let name: String
        public let field: Field
        /// The unit the name fixes ("1" for counts).
        public let unit: String
        public let missing: MissingValue
        /// Decimal places when written at the instruments' resolution (simulated data: 1 ms,
        /// 0.1 nA, 1 µV, 1 m°C); nil for integer columns.
        public let resolutionDecimals: Int?
        /// Other BDF names a reader accepts for the same quantity, in order of preference after
        /// `name` (BDF has several temperatures; ours is the cell's).
        public let readAliases: [String]

        public var isInteger: Bool { resolutionDecimals == nil && !isText }
        /// A column of names, not numbers (`step_type`).
        public var isText: Bool { field == .stepType }
    }

    public static let testTime = Column(name: "test_time_second", field: .testTime, unit: "s", missing: .refused, resolutionDecimals: 3, readAliases: [])
    public static let unixTime = Column(name: "unix_time_second", field: .unixTime, unit: "s", missing: .emptyField, resolutionDecimals: 3, readAliases: [])
    public static let current = Column(name: "current_ampere", field: .current, unit: "A", missing: .refused, resolutionDecimals: 10, readAliases: [])
    public static let voltage = Column(name: "voltage_volt", field: .voltage, unit: "V", missing: .refused, resolutionDecimals: 6, readAliases: [])
    public static let temperature = Column(
        name: "temperature_celsius", field: .temperature, unit: "degC", missing: .emptyField, resolutionDecimals: 3,
        readAliases: ["surface_temperature_celsius", "temperature_t1_celsius", "ambient_temperature_celsius"])
    public static let cycleCount = Column(name: "cycle_count", field: .cycleCount, unit: "1", missing: .emptyField, resolutionDecimals: nil, readAliases: [])
    public static let stepCount = Column(name: "step_count", field: .stepCount, unit: "1", missing: .emptyField, resolutionDecimals: nil, readAliases: [])
    public static let stepID = Column(name: "step_id", field: .stepID, unit: "1", missing: .emptyField, resolutionDecimals: nil, readAliases: [])
    public static let recordIndex = Column(name: "record_index", field: .recordIndex, unit: "1", missing: .emptyField, resolutionDecimals: nil, readAliases: [])
    /// The cycler's capacity and energy counters, which the coordinator stores per sample and
    /// Q1's capacity cross-check reads (`cellfleet export` writes them so `detect` sees them too).
    public static let capacity = Column(
        name: "step_cumulative_capacity_ampere_hour", field: .capacity, unit: "A.h", missing: .emptyField, resolutionDecimals: 12,
        readAliases: ["step_capacity_ampere_hour"])
    public static let energy = Column(
        name: "step_cumulative_energy_watt_hour", field: .energy, unit: "W.h", missing: .emptyField, resolutionDecimals: 12,
        readAliases: ["step_energy_watt_hour"])
    public static let stepType = Column(name: "step_type", field: .stepType, unit: "", missing: .emptyField, resolutionDecimals: nil, readAliases: [])

    /// Every column cellfleet knows, in the order it writes them.
    public static let columns: [Column] = [
        testTime, unixTime, current, voltage, temperature, cycleCount, stepCount, stepID, recordIndex, capacity, energy, stepType,
    ]

    /// The columns that must be in every file.
    public static var requiredColumns: [Column] { columns.filter { $0.missing == .refused } }

    /// How numbers are written.
    public enum Precision: Sendable, Hashable {
        /// Fixed-point at each column's `resolutionDecimals`, trailing zeros trimmed ("1.5",
        /// "3600"): simulated data has no more precision than an instrument would log, and the
        /// files are a third of the size.
        case instrumentResolution
        /// Swift's shortest text that reads back to the same `Double` ("3.0", "1e-05"): a
        /// conversion of recorded data must not lose a digit the instrument gave.
        case exact
    }

    /// The columns of one file and how its numbers are written.
    public struct Layout: Sendable, Hashable {
        public var columns: [Column]
        public var precision: Precision

        public init(columns: [Column], precision: Precision) {
            self.columns = columns
            self.precision = precision
        }

        /// `simulate`'s files: the required columns, then temperature, `cycle_count` and
        /// `step_count` when the first sample has them.
        public static func simulated(firstSample sample: Sample) -> Layout {
            var chosen = [testTime, current, voltage]
            if sample.temperatureCelsius != nil { chosen.append(temperature) }
            if sample.cycleIndex != nil { chosen.append(cycleCount) }
            if sample.stepIndex != nil { chosen.append(stepCount) }
            return Layout(columns: chosen, precision: .instrumentResolution)
        }

        /// `convert`'s files: clock and temperature when the source has them, and always the
        /// instrument's cycle and step (empty where it gives none), the running step count and
        /// the record index, exact.
        public static func converted(hasUnixTime: Bool, hasTemperature: Bool) -> Layout {
            var chosen = [testTime]
            if hasUnixTime { chosen.append(unixTime) }
            chosen += [current, voltage]
            if hasTemperature { chosen.append(temperature) }
            chosen += [cycleCount, stepCount, stepID, recordIndex]
            return Layout(columns: chosen, precision: .exact)
        }

        /// `cellfleet export`'s files: a stored test's samples, exact, with every column the
        /// test has (`cycle_count`, `step_count` beside the instrument's `step_id`, the cycler's
        /// counters and step type), so `detect` on the file sees what live detection saw.
        public static func exported(hasUnixTime: Bool, hasTemperature: Bool, hasCycle: Bool, hasStep: Bool,
                                    hasCapacity: Bool, hasEnergy: Bool, hasStepType: Bool) -> Layout {
            var chosen = [testTime]
            if hasUnixTime { chosen.append(unixTime) }
            chosen += [current, voltage]
            if hasTemperature { chosen.append(temperature) }
            if hasCycle { chosen.append(cycleCount) }
            if hasStep { chosen += [stepCount, stepID] }
            if hasCapacity { chosen.append(capacity) }
            if hasEnergy { chosen.append(energy) }
            if hasStepType { chosen.append(stepType) }
            return Layout(columns: chosen, precision: .exact)
        }
    }

    /// The column a header name stands for (case and surrounding blanks ignored), with the
    /// preference among aliases: 0 for a column's own name, 1… for its aliases in order.
    static func column(forHeaderName name: String) -> (column: Column, preference: Int)? {
        for column in columns {
            if column.name == name { return (column, 0) }
            if let index = column.readAliases.firstIndex(of: name) { return (column, index + 1) }
        }
        return nil
    }
}
