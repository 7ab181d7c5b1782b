import Foundation

/// Reads the current record's fields by role, in our units, whichever way the source holds
/// them: a text export's field byte ranges (`FieldSpans`, parsed in place, no `String` per
/// field), a columnar binary's blocks of numbers (`ColumnBlocks`, one load per field), or any
/// other source's `RawValue` row. The three strategies and all their pointers live here and
/// nowhere else; each accessor gives exactly what the `RawValue` path gives, which the
/// fast-path tests hold it to.
struct RecordAccess {
    private var source: any RawRecordSource
    /// Text exports are read through their field byte ranges (no `String` per field); `source`
    /// is then not advanced.
    private var textSource: DelimitedTextSource?
    /// `textSource != nil`, as a flag: testing the optional copied (retained) the source per record.
    private let readsText: Bool
    private let spans: FieldSpans?
    /// The current record's field ranges (plain pointers into `spans`, refreshed per record).
    private var view = FieldSpans.View()
    /// Whether the current record is in `spans` (else in `row`).
    private var recordInSpans = false
    /// The last state label's bytes and text, so a repeated label costs a compare, not a `String`.
    private var labelCacheBytes: [UInt8] = []
    private var labelCacheText: String?
    private var dateCache = TimeParsing.DateCache()
    private var wallClock: WallClock
    /// Columnar binary sources (Neware, BioLogic) are read a block of records at a time, column
    /// by column, as numbers (`ColumnBlockSource`); `source` is then not advanced.
    private let blockSource: (any ColumnBlockSource)?
    /// Shared by copies of the reader until one of them loads another block (`loadBlock`).
    private var blocks: ColumnBlocks?
    /// The current record's row in `blocks`: column k of the record is `blockRow[k * capacity]`.
    private var blockRow = UnsafeMutablePointer<Double>(bitPattern: 8)!
    /// Whether the current record is in `blocks`.
    private var recordInBlock = false
    /// Index of the next record of a block-read source.
    private var blockPosition = 0
    /// The loaded block: its storage, first record and record count (copied out of `blocks`
    /// so that the per-record path reads no class property).
    private var blockValues = UnsafeMutablePointer<Double>(bitPattern: 8)!
    private var blockStart = 0
    private var blockCount = 0
    private let blockRecordCount: Int
    /// NaN in a block is "no value" (else the number NaN, as `.mpr` gives it).
    private let blockNaNIsMissing: Bool
    /// Names of the state column's codes, when it is a label column read through blocks.
    private let blockStateNames: [String]?
    /// The last numeric state label's value (bit pattern) and text.
    private var numericLabelBits: UInt64 = 0
    private var numericLabelText: String?
    private var row: [RawValue]
    /// The compiled profile's slots, with their block offsets when read through blocks.
    private let fastSlots: [ColumnSlot]
    private let timestampUnit: CompiledProfile.TimestampUnit
    private let dateOrder: TimeParsing.DateOrder?
    private let temperatureInKelvin: Bool
    /// Set by each read of the test-time column: whether it was duration text.
    private var testTimeWasText = false

    init(source: any RawRecordSource, profile: CompiledProfile) {
        self.source = source
        self.textSource = source as? DelimitedTextSource
        self.readsText = textSource != nil
        self.spans = textSource?.spans
        self.row = Array(repeating: .missing, count: source.columnNames.count)
        self.wallClock = WallClock(zone: profile.zone)
        self.timestampUnit = profile.timestampUnit
        self.dateOrder = profile.dateOrder
        self.temperatureInKelvin = profile.temperatureInKelvin
        var fastSlots = profile.fastSlots
        // Columnar sources whose every column in use has a block form are read through blocks.
        var plan: ColumnBlocks.Plan? = nil
        if textSource == nil, let columnar = source as? any ColumnBlockSource {
            plan = ColumnBlocks.plan(source: columnar, roles: profile.columns.mapValues(\.index))
        }
        if let plan, let columnar = source as? any ColumnBlockSource {
            let blocks = ColumnBlocks(columns: plan.columns, recordCount: columnar.recordCount)
            for (role, k) in plan.blockColumnByRole { fastSlots[role.ordinal].block = k * blocks.capacity }
            self.blockSource = columnar
            self.blocks = blocks
            self.blockRecordCount = columnar.recordCount
            self.blockPosition = source.position
            self.blockNaNIsMissing = plan.nanIsMissing
            self.blockStateNames = plan.stateNames
        } else {
            self.blockSource = nil
            self.blocks = nil
            self.blockRecordCount = 0
            self.blockNaNIsMissing = true
            self.blockStateNames = nil
        }
        self.fastSlots = fastSlots
    }

    /// Whether records are read through column blocks (`ColumnBlockSource`), for tests.
    var readsColumnBlocks: Bool { blocks != nil }

    /// Index of the next record the source gives.
    var position: Int { textSource?.position ?? (blocks != nil ? blockPosition : source.position) }

    /// For a text export, where the line after the current record starts.
    var textResumePoint: DelimitedTextSource.ResumePoint? { textSource?.resumePoint }

    /// Whether a text export's last record was cut short (its missing fields read as absent).
    var finalRecordTruncated: Bool { textSource?.finalRecordTruncated ?? false }

    /// Makes the next record current; returns its index, or nil at the end of the data.
    @inline(__always)
    mutating func advance() throws -> Int? {
        let index: Int
        if readsText {
            index = textSource!.position
            switch try textSource!.nextRecord(values: &row) {
            case .end: return nil
            case .spans:
                recordInSpans = true
                view = spans!.view
            case .values: recordInSpans = false
            }
        } else if blocks != nil {
            index = blockPosition
            guard index < blockRecordCount else { return nil }
            try moveBlockRow(to: index)
            blockPosition = index + 1
            recordInBlock = true
        } else {
            index = source.position
            guard try source.next(into: &row) else { return nil }
        }
        return index
    }

    /// Every field of the current record the normaliser uses: the numbers, and the state label
    /// beside them (see `RecordFields`).
    ///
    /// - Parameter testTimeScale: seconds per test-time number (the profile's unit, or the one
    ///   the instrument's clock showed it to be in).
    @_transparent
    mutating func fields(of index: Int, testTimeScale: Double) -> (fields: RecordFields, label: String?) {
        // No closure or `??` below captures `self`: in this mutating method that made the
        // compiler copy the whole reader for each record.
        var f = RecordFields(recordIndex: index)
        if let v = number(.voltage) { f.voltageVolts = v }
        let label = stateLabel()
        testTimeWasText = false
        f.testTimeSeconds = seconds(.testTime, numberScale: testTimeScale)
        f.testTimeIsText = testTimeWasText
        f.clockUnixSeconds = unixTime()
        f.stepTimeSeconds = seconds(.stepTime)
        // A fallback column is read only where the normaliser will look at it (the primary is
        // empty): files often have both, and the extra field per record was measurable.
        f.currentAmperes = number(.current)
        if f.currentAmperes == nil { f.chargeIncrementAmpHours = number(.chargeIncrement) }
        f.signedCapacityAmpHours = number(.signedCapacity)
        if f.signedCapacityAmpHours == nil { f.capacityAmpHours = number(.capacity) }
        f.chargeCapacityAmpHours = number(.chargeCapacity)
        f.dischargeCapacityAmpHours = number(.dischargeCapacity)
        f.energyWattHours = number(.energy)
        if f.energyWattHours == nil {
            f.chargeEnergyWattHours = number(.chargeEnergy)
            f.dischargeEnergyWattHours = number(.dischargeEnergy)
        }
        f.cycle = integer(.cycle)
        f.halfCycle = integer(.halfCycle)
        f.step = integer(.step)
        var temperature = number(.temperature)
        if temperatureInKelvin, let t = temperature { temperature = t - 273.15 }
        f.temperatureCelsius = temperature
        return (f, label)
    }

    // Each accessor reads the current record from `spans` or `blocks` when it is there and
    // from `row` otherwise. The span path gives exactly what the `RawValue` the text source
    // would have made gives: the common cases (a number, an empty field, ASCII text) are parsed
    // in place and anything else is turned into that `RawValue` and read as before.

    /// A role the file lacks, or a field the splitter already read as a number, is answered
    /// inline; the rest goes to `numberSlow`. Mutating (though they change nothing) because a
    /// non-mutating call from the mutating record path made the compiler copy the whole reader.
    @inline(__always)
    private mutating func number(_ role: ColumnRole) -> Double? {
        let c = fastSlots[role.ordinal]
        if c.index < 0 { return nil }
        if recordInBlock { return Self.blockNumber(blockRow, c, blockNaNIsMissing) }
        if let v = Self.parsedNumber(view, recordInSpans, c) { return v }
        return numberSlow(role)
    }

    /// What the `RawValue` of a block's field gives: `.missing` for NaN where NaN means no
    /// value, else the number.
    @inline(__always)
    private static func blockNumber(_ row: UnsafeMutablePointer<Double>, _ c: ColumnSlot, _ nanIsMissing: Bool) -> Double? {
        let x = row[c.block]
        if nanIsMissing, x.isNaN { return nil }
        return x * c.scale
    }

    /// Points `blockRow` at record `index`, loading the block that holds it when needed.
    @inline(__always)
    private mutating func moveBlockRow(to index: Int) throws {
        let offset = index - blockStart
        if offset >= 0, offset < blockCount {
            blockRow = blockValues + offset
        } else {
            try loadBlock(from: index)
        }
    }

    @inline(never)
    private mutating func loadBlock(from index: Int) throws {
        // A copy of this reader may still read the block in place: load into a buffer of our own.
        if !isKnownUniquelyReferenced(&blocks) {
            let shared = blocks.unsafelyUnwrapped
            blocks = ColumnBlocks(columns: shared.columns, recordCount: blockRecordCount)
        }
        let b = blocks.unsafelyUnwrapped
        blockValues = try b.load(from: index, source: blockSource.unsafelyUnwrapped)
        blockStart = index
        blockCount = b.count
        blockRow = blockValues
    }

    @inline(__always)
    private static func parsedNumber(_ view: FieldSpans.View, _ inSpans: Bool, _ c: ColumnSlot) -> Double? {
        guard inSpans, view.isNumber[c.index] else { return nil }
        return view.numbers[c.index] * c.scale
    }

    @inline(never)
    private mutating func numberSlow(_ role: ColumnRole) -> Double? {
        let c = fastSlots[role.ordinal]
        if c.index < 0 { return nil }
        if recordInSpans {
            if let v = view.number(c.index) { return v * c.scale }
            if view.starts[c.index] >= view.ends[c.index] { return nil }
            return Self.number(view.value(c.index), c)
        }
        return Self.number(row[c.index], c)
    }

    private static func number(_ value: RawValue, _ c: ColumnSlot) -> Double? {
        if case .number(let v) = value { return v * c.scale }
        if case .text(let t) = value {
            if let v = FastNumberParser.parse(t) { return v * c.scale }
            if let v = FastNumberParser.parse(t, decimalSeparator: UInt8(ascii: ",")) { return v * c.scale }
        }
        return nil
    }

    @inline(__always)
    private mutating func integer(_ role: ColumnRole) -> Int? {
        guard let v = number(role), v.isFinite, v.magnitude < 1e15 else { return nil }
        // Converting truncates toward zero already (and `rounded` was a libm call per field).
        return Int(v)
    }

    /// Seconds for a time column: numbers in the column's unit, or duration text. A number the
    /// splitter already read, an empty field or an absent column is answered inline.
    @inline(__always)
    private mutating func seconds(_ role: ColumnRole, numberScale: Double? = nil) -> Double? {
        let c = fastSlots[role.ordinal]
        if c.index < 0 { return nil }
        if recordInBlock {
            let x = blockRow[c.block]
            if blockNaNIsMissing, x.isNaN { return nil }
            if role == .testTime { testTimeWasText = false }
            return x * (numberScale ?? c.scale)
        }
        if recordInSpans {
            if view.isNumber[c.index] {
                if role == .testTime { testTimeWasText = false }
                return view.numbers[c.index] * (numberScale ?? c.scale)
            }
            if view.starts[c.index] >= view.ends[c.index] { return nil }
        }
        return secondsSlow(role, numberScale: numberScale)
    }

    @inline(never)
    private mutating func secondsSlow(_ role: ColumnRole, numberScale: Double?) -> Double? {
        let c = fastSlots[role.ordinal]
        if c.index < 0 { return nil }
        let scale = numberScale ?? c.scale
        if recordInSpans {
            let spans = view
            if let v = spans.number(c.index) {
                if role == .testTime { testTimeWasText = false }
                return v * scale
            }
            let (s, e) = spans.trimmed(c.index)
            if s >= e { return nil }
            if Self.isASCII(spans.base, s, e) {
                // Both parsers refuse non-ASCII bytes, so the bytes give what their decoded text gives.
                if let d = TimeParsing.durationSeconds(bytes: UnsafeBufferPointer(start: spans.base + s, count: e - s)) {
                    if role == .testTime { testTimeWasText = true }
                    return d
                }
                if role == .testTime { testTimeWasText = false }
                return FastNumberParser.parse(spans.base, s, e, decimalSeparator: UInt8(ascii: "."), groupingSeparator: nil).map { $0 * scale }
            }
            return seconds(spans.value(c.index), role: role, scale: scale)
        }
        return seconds(row[c.index], role: role, scale: scale)
    }

    private mutating func seconds(_ value: RawValue, role: ColumnRole, scale: Double) -> Double? {
        switch value {
        case .number(let v):
            if role == .testTime { testTimeWasText = false }
            return v * scale
        case .text(let t):
            if let d = TimeParsing.durationSeconds(t) {
                if role == .testTime { testTimeWasText = true }
                return d
            }
            if role == .testTime { testTimeWasText = false }
            return FastNumberParser.parse(t).map { $0 * scale }
        case .missing: return nil
        }
    }

    /// A clock column already read as a number (or absent) is answered inline.
    @inline(__always)
    private mutating func unixTime() -> Double? {
        let c = fastSlots[ColumnRole.timestamp.ordinal]
        if c.index < 0 { return nil }
        if recordInBlock {
            let x = blockRow[c.block]
            if blockNaNIsMissing, x.isNaN { return nil }
            return unixTime(number: x)
        }
        if recordInSpans, view.isNumber[c.index] { return unixTime(number: view.numbers[c.index]) }
        return unixTimeSlow()
    }

    @inline(never)
    private mutating func unixTimeSlow() -> Double? {
        let c = fastSlots[ColumnRole.timestamp.ordinal]
        if c.index < 0 { return nil }
        if recordInSpans {
            let spans = view
            if let v = spans.number(c.index) { return unixTime(number: v) }
            let (s, e) = spans.trimmed(c.index)
            if s >= e { return nil }
            if Self.isASCII(spans.base, s, e) {
                guard let naive = dateCache.naiveEpochSeconds(bytes: UnsafeBufferPointer(start: spans.base + s, count: e - s), order: dateOrder) else { return nil }
                return wallClock.unixSeconds(naive: naive)
            }
            return unixTime(spans.value(c.index))
        }
        return unixTime(row[c.index])
    }

    private mutating func unixTime(_ value: RawValue) -> Double? {
        switch value {
        case .number(let v): return unixTime(number: v)
        case .text(let t):
            guard let naive = TimeParsing.naiveEpochSeconds(t, order: dateOrder) else { return nil }
            return wallClock.unixSeconds(naive: naive)
        case .missing: return nil
        }
    }

    private mutating func unixTime(number v: Double) -> Double? {
        switch timestampUnit {
        case .unixMilliseconds: return v / 1000
        case .days: return wallClock.unixSeconds(naive: (v - 25569) * 86400)
        case .unixSeconds:
            // A day number (Excel / OLE, 1900-2170) where epoch seconds were expected.
            if v > 1, v < 100_000 { return wallClock.unixSeconds(naive: (v - 25569) * 86400) }
            return v
        }
    }

    /// The state label as text (numbers written as integers where they are whole).
    /// Files without a state column (BioLogic) answer inline.
    @inline(__always)
    private mutating func stateLabel() -> String? {
        if fastSlots[ColumnRole.state.ordinal].index < 0 { return nil }
        return stateLabelPresent()
    }

    @inline(never)
    private mutating func stateLabelPresent() -> String? {
        let c = fastSlots[ColumnRole.state.ordinal]
        if recordInBlock {
            let x = blockRow[c.block]
            if let names = blockStateNames {
                // A code, as `DecodedTableSource` gives it: past the name table is no label.
                let code = Int(x)
                return code < names.count ? names[code] : nil
            }
            if blockNaNIsMissing, x.isNaN { return nil }
            // A numeric state: its text is built once per change of value, not per record.
            if numericLabelText == nil || x.bitPattern != numericLabelBits {
                numericLabelBits = x.bitPattern
                numericLabelText = Self.label(.number(x))
            }
            return numericLabelText
        }
        if recordInSpans {
            let spans = view
            if let v = spans.number(c.index) { return Self.label(.number(v)) }
            let (s, e) = spans.trimmed(c.index)
            if s >= e { return nil }
            let count = e - s
            if labelCacheText != nil, labelCacheBytes.count == count,
               labelCacheBytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, spans.base + s, count) == 0 }) {
                return labelCacheText
            }
            let text = decodeText(UnsafeBufferPointer(start: spans.base + s, count: count))
            labelCacheBytes = Array(UnsafeBufferPointer(start: spans.base + s, count: count))
            labelCacheText = text
            return text
        }
        return Self.label(row[c.index])
    }

    private static func label(_ value: RawValue) -> String? {
        switch value {
        case .text(let t): t
        case .number(let v): v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
        case .missing: nil
        }
    }

    @inline(__always)
    private static func isASCII(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var k = start
        while k < end { if base[k] >= 0x80 { return false }; k += 1 }
        return true
    }
}
