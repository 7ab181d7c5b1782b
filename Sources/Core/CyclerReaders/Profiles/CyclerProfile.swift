import CellModel
import Foundation

/// Everything that is vendor-specific about reading a cycler's records, as data: which columns
/// mean what, their units, the current sign, how the capacity counters reset, how cycles are
/// numbered and the instrument's clock. A lab adds a variant by dropping a JSON file into a
/// profiles directory (see `ProfileLibrary`), for text exports and binary containers alike.
public struct CyclerProfile: Sendable, Hashable, Codable {
    /// Identifier printed as `format` by `cellfleet inspect`, e.g. `maccor_txt`.
    public var name: String
    public var vendor: String
    public var description: String?
    /// `RawRecordSource.format` values this profile interprets: `text` for delimited exports,
    /// or a binary container such as `neware_ndax`, `biologic_mpr`, `arbin_res`, `arbin_xlsx`.
    public var containers: [String]
    /// Higher wins when two profiles match a file equally well.
    public var priority: Int?
    public var detect: Detection?
    public var text: TextOptions?
    public var columns: [ColumnRole: [ColumnCandidate]]
    /// Vendor state labels, tried in order; the first match decides.
    public var states: [StateRule]?
    public var currentSign: CurrentSignConvention
    public var capacityCounter: CapacityCounterRule
    public var cycleNumbering: CycleNumbering
    /// IANA zone of the instrument's wall clock (`UTC`, `Europe/Berlin`); naive timestamps are
    /// read in it. Defaults to UTC.
    public var timeZone: String?
    /// Timestamp text layout: `mdy` (US, default for `/`), `dmy` (default for `.`), `ymd`.
    public var dateOrder: String?
    /// Header keys whose value is the acquisition start, for files without a timestamp column.
    public var startTimeKeys: [String]?
    /// Other units the test-time column may be in; the one that agrees with the instrument's
    /// own timestamps is taken (Maccor writes minutes or seconds under the same name).
    public var alternativeTestTimeUnits: [String]?
    /// Free text for people, ignored by the readers: `profile suggest` writes how it inferred
    /// each column here, so a lab can check a draft before saving it.
    public var notes: [String]?

    public struct Detection: Sendable, Hashable, Codable {
        /// Strings that must all appear in the first bytes of the file.
        public var markers: [String]?
        /// Alternative sets of column names; the header line must hold every name of one set.
        public var headerColumns: [[String]]?
        /// Extensions that make this profile likelier (lower case, no dot). Never sufficient alone.
        public var extensions: [String]?
    }

    public struct TextOptions: Sendable, Hashable, Codable {
        /// Candidate field delimiters: `tab`, `comma`, `semicolon`.
        public var delimiters: [String]?
        /// `auto`, `point` or `comma`.
        public var decimal: String?
        /// Accept thousands separators inside numbers.
        public var thousandsSeparators: Bool?
        /// Prefix to strip from the column-name line (BaSyTec starts it with `~`).
        public var headerPrefix: String?
        /// BTSDA layered export (cycle / step / record rows).
        public var layered: Bool?
    }

    public init(
        name: String, vendor: String, containers: [String], columns: [ColumnRole: [ColumnCandidate]],
        currentSign: CurrentSignConvention, capacityCounter: CapacityCounterRule, cycleNumbering: CycleNumbering
    ) {
        self.name = name
        self.vendor = vendor
        self.containers = containers
        self.columns = columns
        self.currentSign = currentSign
        self.capacityCounter = capacityCounter
        self.cycleNumbering = cycleNumbering
    }
}

/// What a column means to us.
public enum ColumnRole: String, Sendable, Hashable, Codable, CaseIterable, CodingKeyRepresentable {
    case recordIndex, testTime, stepTime, timestamp
    case voltage, current
    /// One counter whose direction comes from the state label (Maccor `Amp-hr`, LAND, Novonix).
    case capacity
    /// Signed counter: positive while charging, negative while discharging (EC-Lab `Q charge/discharge`).
    case signedCapacity
    case chargeCapacity, dischargeCapacity
    case energy, chargeEnergy, dischargeEnergy
    case temperature
    case cycle, halfCycle, step, state
    /// Cumulative charge increment per record (EC-Lab `dq`), used to derive current where the
    /// binary file has no current column.
    case chargeIncrement

    /// Position in `allCases`, for table lookups on the per-record path.
    var ordinal: Int {
        switch self {
        case .recordIndex: 0
        case .testTime: 1
        case .stepTime: 2
        case .timestamp: 3
        case .voltage: 4
        case .current: 5
        case .capacity: 6
        case .signedCapacity: 7
        case .chargeCapacity: 8
        case .dischargeCapacity: 9
        case .energy: 10
        case .chargeEnergy: 11
        case .dischargeEnergy: 12
        case .temperature: 13
        case .cycle: 14
        case .halfCycle: 15
        case .step: 16
        case .state: 17
        case .chargeIncrement: 18
        }
    }
}

/// One column name the role may appear under, with the unit its numbers are in.
public struct ColumnCandidate: Sendable, Hashable, Codable {
    public var name: String
    /// `V`, `mV`, `A`, `mA`, `uA`, `Ah`, `mAh`, `Wh`, `mWh`, `s`, `min`, `h`, `ms`, `C`, `K`;
    /// timestamps: `text`, `unix_s`, `unix_ms`, `excel_days`, `ole_days`.
    public var unit: String?

    public init(name: String, unit: String? = nil) {
        self.name = name
        self.unit = unit
    }
}

public struct StateRule: Sendable, Hashable, Codable {
    /// `exact` (default), `prefix` or `contains`; case-insensitive.
    public var match: String?
    public var label: String
    public var step: StepTypeName
}

/// Step types as written in profiles (readable names rather than wire numbers).
public enum StepTypeName: String, Sendable, Hashable, Codable {
    case rest, ccCharge, cvCharge, ccDischarge, cvDischarge, pulse, impedance, other, unknown

    public var stepType: StepType {
        switch self {
        case .rest: .rest
        case .ccCharge: .constantCurrentCharge
        case .cvCharge: .constantVoltageCharge
        case .ccDischarge: .constantCurrentDischarge
        case .cvDischarge: .constantVoltageDischarge
        case .pulse: .pulse
        case .impedance: .impedance
        case .other: .other
        case .unknown: .unknown
        }
    }
}

public enum CurrentSignConvention: String, Sendable, Hashable, Codable {
    /// Positive current charges the cell (checked against the state labels).
    case positiveIsCharge
    /// The instrument writes discharge current positive.
    case positiveIsDischarge
    /// The instrument writes magnitudes (or either sign); the state label decides.
    case fromState
}

public enum CapacityCounterRule: String, Sendable, Hashable, Codable {
    /// Counters run through a cycle and reset when it starts (Arbin, BaSyTec): per-cycle
    /// capacity is the counter's rise within the cycle.
    case cumulativeInCycle
    /// Counters restart at every step (Maccor, Neware, LAND) or half cycle (EC-Lab): per-cycle
    /// capacity is the sum of each step's final value.
    case perStep
    /// Counter restarts at each change of direction and carries on across consecutive steps of
    /// the same direction (Novonix).
    case perDirectionRun
}

public enum CycleNumbering: String, Sendable, Hashable, Codable {
    /// The instrument's cycle column, as written.
    case column
    /// EC-Lab text export numbering: `half cycle` ÷ 2.
    case halfCycleDiv2
    /// BTSDA: a new cycle starts at a charge step that follows a discharge.
    case chargeAfterDischarge
    /// A new cycle starts when the direction of the first active step comes back after the
    /// other direction (LAND's charge/discharge pairs).
    case firstDirectionRepeats
}
