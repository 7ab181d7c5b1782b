import CellModel
import Foundation

/// Applies a `CyclerProfile` to any `RawRecordSource` (text or binary), yielding `CyclerRecord`s
/// in our units, and refuses files that fail the sanity checks instead of reading them
/// half-right: the test-time scale must agree with the instrument's own clock, the current sign
/// with its state labels, and test time must not run backwards unless the clock shows a resumed test.
public struct CyclerRecordReader {
    public let profile: CyclerProfile
    public let sourceFormat: String
    public let metadata: [String: String]
    /// Things a user should know that did not make the file unreadable.
    public private(set) var warnings: [String] = []
    /// Whether records are read through column blocks (`ColumnBlockSource`), for tests.
    var readsColumnBlocks: Bool { blocks != nil }
    /// Whether the file has a test-time column (inspect prints null otherwise).
    public var hasTestTimeColumn: Bool { columns[.testTime] != nil }
    public var hasTimestamps: Bool { columns[.timestamp] != nil || startUnixSeconds != nil }
    public var hasTemperature: Bool { columns[.temperature] != nil }
    public var position: Int { textSource?.position ?? (blocks != nil ? blockPosition : source.position) }
    /// The instrument's own per-cycle capacities (Ah), where it writes them (LAND's Cycle sheet).
    public var instrumentCycleSummary: [Int: (charge: Double, discharge: Double)]?

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
    private let file: String
    private var row: [RawValue]
    private let columns: [ColumnRole: ResolvedColumn]
    /// `columns` by role ordinal: the per-record path must not hash enum strings.
    private let slots: [ResolvedColumn?]
    /// Index and scale by role ordinal, without the names: copying these costs no reference counting.
    private let fastSlots: [Slot]
    private let timestampUnit: TimestampUnit
    private let temperatureInKelvin: Bool
    private var testTimeScale: Double = 1
    private var wallClock: WallClock
    private let dateOrder: TimeParsing.DateOrder?
    private let startUnixSeconds: Double?
    private let states: [CompiledStateRule]

    /// What the reader carries from one record to the next, so that following a growing file
    /// can stop and pick up later (with `DelimitedTextSource.ResumePoint`) without renumbering
    /// rule-derived cycles or re-basing a resumed test.
    public struct State: Sendable, Hashable, Codable {
        var testTimeScale: Double
        var previousTestTime: Double?
        var previousUnix: Double?
        var firstUnix: Double?
        var firstTestTimeForSpan: Double?
        var testTimeOffset: Double
        var derivedTimeBase: Double
        var previousStepTime: Double?
        var previousDerivedTime: Double?
        var firstUnixForDerived: Double?
        var previousCycle: Int?
        var ruleCycle: Int
        var firstActiveDirection: Int?
        var lastActiveDirection: Int?
    }

    private static func code(_ d: CurrentDirection?) -> Int? {
        switch d { case .charge: 1; case .discharge: 2; case .rest: 3; case .unknown: 4; case nil: nil }
    }

    private static func direction(_ c: Int?) -> CurrentDirection? {
        switch c { case 1: .charge; case 2: .discharge; case 3: .rest; case 4: .unknown; default: nil }
    }

    /// The carried state after the last record returned (take it together with the source's resume point).
    public var state: State {
        State(testTimeScale: testTimeScale, previousTestTime: previousTestTime, previousUnix: previousUnix, firstUnix: firstUnix,
              firstTestTimeForSpan: firstTestTimeForSpan, testTimeOffset: testTimeOffset, derivedTimeBase: derivedTimeBase,
              previousStepTime: previousStepTime, previousDerivedTime: previousDerivedTime, firstUnixForDerived: firstUnixForDerived,
              previousCycle: previousCycle, ruleCycle: ruleCycle,
              firstActiveDirection: Self.code(firstActiveDirection), lastActiveDirection: Self.code(lastActiveDirection))
    }

    /// Continues from `state`, saved by an earlier reader of the same file.
    public mutating func restore(_ state: State) {
        testTimeScale = state.testTimeScale
        previousTestTime = state.previousTestTime
        previousUnix = state.previousUnix
        firstUnix = state.firstUnix
        firstTestTimeForSpan = state.firstTestTimeForSpan
        testTimeOffset = state.testTimeOffset
        derivedTimeBase = state.derivedTimeBase
        previousStepTime = state.previousStepTime
        previousDerivedTime = state.previousDerivedTime
        firstUnixForDerived = state.firstUnixForDerived
        previousCycle = state.previousCycle
        ruleCycle = state.ruleCycle
        firstActiveDirection = Self.direction(state.firstActiveDirection)
        lastActiveDirection = Self.direction(state.lastActiveDirection)
        scaleDecided = true
    }

    // Running state.
    private var pending: [CyclerRecord] = []
    private var pendingIndex = 0
    private var scaleDecided = false
    private var previousTestTime: Double?
    private var previousUnix: Double?
    private var firstUnix: Double?
    private var firstTestTimeForSpan: Double?
    private var testTimeOffset: Double = 0
    private var derivedTimeBase: Double = 0
    private var previousStepTime: Double?
    private var previousDerivedTime: Double?
    private var previousCycle: Int?
    private var ruleCycle = 1
    private var firstActiveDirection: CurrentDirection?
    private var lastActiveDirection: CurrentDirection?
    private var signAgree = 0
    private var signDisagree = 0
    private var signCheckedAt = 0
    private var previousElapsed: Double?
    private var lastStateLabel: String?
    private var lastStepType: StepType = .unknown
    /// Step type per state label already matched: files alternate among a handful of labels,
    /// and matching one (lower-casing, Foundation's substring search per rule) cost microseconds.
    private var stepTypeByLabel: [String: StepType] = [:]

    /// A resolved column reduced to what each record needs; `index` is -1 when the file lacks it.
    struct Slot {
        var index: Int
        var scale: Double
        /// Offset of the column's values in a block row (`ColumnBlocks`), when read through blocks.
        var block: Int = 0
    }

    enum TimestampUnit { case unixSeconds, unixMilliseconds, days }

    struct ResolvedColumn {
        var index: Int
        var name: String
        var unit: String?
        var scale: Double
    }

    struct CompiledStateRule {
        enum Kind { case exact, prefix, contains }
        var kind: Kind
        var label: String
        var step: StepType
    }

    public init(source: any RawRecordSource, profile: CyclerProfile, file: String, timeZoneOverride: String? = nil) throws {
        self.source = source
        self.textSource = source as? DelimitedTextSource
        self.readsText = textSource != nil
        self.spans = textSource?.spans
        self.profile = profile
        self.file = file
        self.sourceFormat = source.format
        self.metadata = source.metadata
        self.row = Array(repeating: .missing, count: source.columnNames.count)
        let zoneName = timeZoneOverride ?? profile.timeZone ?? "UTC"
        guard let zone = TimeZone(identifier: zoneName) else {
            throw CyclerReadError(file: file, reason: "unknown time zone '\(zoneName)' in profile \(profile.name)")
        }
        self.wallClock = WallClock(zone: zone)
        self.dateOrder = profile.dateOrder.flatMap { TimeParsing.DateOrder(rawValue: $0) }
        self.states = (profile.states ?? []).map { rule in
            let kind: CompiledStateRule.Kind = switch rule.match ?? "exact" {
            case "prefix": .prefix
            case "contains": .contains
            default: .exact
            }
            return CompiledStateRule(kind: kind, label: rule.label.lowercased(), step: rule.step.stepType)
        }
        let resolved = try Self.resolveColumns(names: source.columnNames, profile: profile, file: file)
        self.columns = resolved
        self.slots = ColumnRole.allCases.map { resolved[$0] }
        var fastSlots = ColumnRole.allCases.map { role in resolved[role].map { Slot(index: $0.index, scale: $0.scale) } ?? Slot(index: -1, scale: 1) }
        // Columnar sources whose every column in use has a block form are read through blocks.
        var plan: ColumnBlocks.Plan? = nil
        if textSource == nil, let columnar = source as? any ColumnBlockSource {
            plan = ColumnBlocks.plan(source: columnar, roles: resolved.mapValues(\.index))
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
        switch resolved[.timestamp]?.unit ?? "unix_s" {
        case "unix_ms": timestampUnit = .unixMilliseconds
        case "excel_days", "ole_days": timestampUnit = .days
        default: timestampUnit = .unixSeconds
        }
        temperatureInKelvin = resolved[.temperature]?.unit == "K"
        if let unit = columns[.testTime]?.unit { testTimeScale = Self.timeScale(unit) ?? 1 }
        // Absolute start from the header, for files whose records carry only elapsed time.
        var start: Double? = nil
        if columns[.timestamp] == nil {
            for key in profile.startTimeKeys ?? [] {
                if let text = Self.lookup(metadata: source.metadata, key: key),
                   let naive = TimeParsing.naiveEpochSeconds(Substring(text).utf8, order: dateOrder) {
                    var clock = WallClock(zone: zone)
                    start = clock.unixSeconds(naive: naive)
                    break
                }
            }
        }
        self.startUnixSeconds = start
        // Nothing to decide when there is no clock to check against or no unit choice.
        scaleDecided = columns[.timestamp] == nil || columns[.testTime] == nil
    }

    static func lookup(metadata: [String: String], key: String) -> String? {
        if let v = metadata[key] { return v }
        let wanted = key.lowercased().trimmingCharacters(in: .whitespaces)
        for (k, v) in metadata where k.lowercased().trimmingCharacters(in: .whitespaces) == wanted { return v }
        return nil
    }

    /// Column names compared loosely: case, spaces, a BOM and the ways `µ` gets mangled
    /// (Windows-1252 read as UTF-8) do not matter.
    static func normalisedName(_ name: String) -> String {
        // ASCII names (nearly all): the same rule on bytes, without building scalar by scalar.
        var ascii = name
        if let fast = ascii.withUTF8({ bytes -> String? in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count)) { out -> String? in
                var n = 0
                for b in bytes {
                    if b >= 0x80 { return nil }
                    if b == 0x20 || b == 0x09 { continue }
                    out[n] = b >= 0x41 && b <= 0x5A ? b + 32 : b
                    n += 1
                }
                return String(decoding: UnsafeBufferPointer(rebasing: out[0..<n]), as: UTF8.self)
            }
        }) {
            return fast
        }
        var scalars = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            switch scalar {
            case " ", "\t", "\u{FEFF}", "\u{A0}": continue
            case "\u{FFFD}", "\u{B5}", "\u{3BC}": scalars.append("u")
            default:
                if scalar.value >= 0x41, scalar.value <= 0x5A {
                    scalars.append(Unicode.Scalar(scalar.value + 32)!)
                } else {
                    scalars.append(scalar)
                }
            }
        }
        return String(scalars)
    }

    static func resolveColumns(names: [String], profile: CyclerProfile, file: String) throws -> [ColumnRole: ResolvedColumn] {
        // First match, as written, then loosely. A few dozen names: scanning beats hashing them.
        let loose = names.map(normalisedName)
        var resolved: [ColumnRole: ResolvedColumn] = [:]
        // Roles resolve independently: walk the profile's roles rather than look each role up.
        for (role, candidates) in profile.columns {
            for candidate in candidates {
                if let i = names.firstIndex(of: candidate.name) ?? loose.firstIndex(of: normalisedName(candidate.name)) {
                    resolved[role] = ResolvedColumn(index: i, name: names[i], unit: candidate.unit, scale: scale(unit: candidate.unit, role: role))
                    break
                }
            }
        }
        func require(_ role: ColumnRole, _ what: String) throws {
            if resolved[role] == nil {
                let looked = (profile.columns[role] ?? []).map(\.name).joined(separator: ", ")
                throw CyclerReadError(file: file, reason: "profile \(profile.name): no \(what) column (looked for: \(looked.isEmpty ? "none configured" : looked)); the file has: \(names.joined(separator: ", "))")
            }
        }
        try require(.voltage, "voltage")
        if resolved[.current] == nil, resolved[.chargeIncrement] == nil { try require(.current, "current") }
        if resolved[.testTime] == nil, resolved[.timestamp] == nil, resolved[.stepTime] == nil { try require(.testTime, "test time") }
        switch profile.cycleNumbering {
        case .column: if resolved[.halfCycle] == nil { try require(.cycle, "cycle") }
        case .halfCycleDiv2: try require(.halfCycle, "half cycle")
        case .chargeAfterDischarge, .firstDirectionRepeats:
            if resolved[.state] == nil, resolved[.current] == nil { try require(.state, "state") }
        }
        return resolved
    }

    static func timeScale(_ unit: String) -> Double? {
        switch unit.lowercased() {
        case "s", "sec", "second", "seconds", "hms": 1
        case "ms": 0.001
        case "min", "minute", "minutes": 60
        case "h", "hour", "hours": 3600
        case "d", "day", "days": 86400
        default: nil
        }
    }

    static func scale(unit: String?, role: ColumnRole) -> Double {
        guard let unit else { return 1 }
        switch unit {
        case "V", "A", "Ah", "Wh", "C", "K": return 1
        case "mV", "mA", "mAh", "mWh": return 1e-3
        case "uA", "µA", "uAh", "µAh", "uV", "µV": return 1e-6
        case "nA", "nAh": return 1e-9
        case "kWh", "kAh": return 1e3
        default: return timeScale(unit) ?? 1
        }
    }

    // MARK: reading

    /// The next normalised record, or nil at the end of the file.
    ///
    /// The record is built in place (`currentRecord`) and handed out by one expression: a
    /// `CyclerRecord?` (234 bytes) returned through calls and merged returns was copied up to
    /// five times per record, a third of the time of reading a binary file. Inlined, so that a
    /// caller in this module that reads a few fields copies nothing.
    @inline(__always)
    public mutating func next() throws -> CyclerRecord? {
        let more = _slowPath(pendingIndex < pending.count || !scaleDecided) ? try nextBuffered() : try nextRead()
        return more ? currentRecord : nil
    }

    /// The records buffered while deciding the test-time scale (deciding it first if needed).
    @inline(never)
    private mutating func nextBuffered() throws -> Bool {
        if !scaleDecided { try decideTestTimeScale() }
        if pendingIndex < pending.count {
            currentRecord = pending[pendingIndex]
            pendingIndex += 1
            if pendingIndex == pending.count { pending.removeAll(keepingCapacity: false); pendingIndex = 0 }
            return true
        }
        return try nextRead()
    }

    /// The usual path on its own: reads the next record into `currentRecord`.
    @inline(never)
    private mutating func nextRead() throws -> Bool {
        guard try readRecord(postProcessing: true) else {
            try finish()
            return false
        }
        return true
    }

    /// Buffers the first records until the instrument's clock has advanced enough to tell which
    /// unit the test-time column is in (bounded: at most 20 000 records).
    private mutating func decideTestTimeScale() throws {
        var buffered: [CyclerRecord] = []
        var decided = false
        let declared = testTimeScale
        var candidates = [declared]
        for unit in profile.alternativeTestTimeUnits ?? [] {
            if let s = Self.timeScale(unit), !candidates.contains(s) { candidates.append(s) }
        }
        var origin: (raw: Double, unix: Double, index: Int)? = nil
        while buffered.count < 20_000, try readRecord(postProcessing: false) {
            let record = currentRecord
            buffered.append(record)
            if testTimeWasText { candidates = [declared] }
            guard let raw = record.testTimeAsWrittenSeconds, record.sample.unixTimeSeconds.isFinite else { continue }
            let rawUnscaled = raw / testTimeScale
            guard let o = origin else { origin = (rawUnscaled, record.sample.unixTimeSeconds, record.recordIndex); continue }
            let wall = record.sample.unixTimeSeconds - o.unix
            if wall >= 10 {
                let elapsedRaw = rawUnscaled - o.raw
                let tolerance = max(2.5, 0.1 * wall)
                if let scale = candidates.first(where: { abs(elapsedRaw * $0 - wall) <= tolerance }) {
                    if scale != declared {
                        warnings.append("test-time column '\(columns[.testTime]!.name)' read in \(Self.unitName(scale)) (its values agree with the instrument's timestamps only in that unit)")
                    }
                    testTimeScale = scale
                    decided = true
                } else {
                    throw CyclerReadError(
                        file: file, location: "records \(o.index)–\(record.recordIndex)",
                        reason: "time scale disagrees with the instrument's timestamps: test time '\(columns[.testTime]!.name)' advances \(elapsedRaw) (×\(declared) s) while the clock advances \(wall) s; wrong unit in profile \(profile.name)?")
                }
                break
            }
        }
        _ = decided
        scaleDecided = true
        // Re-derive the buffered records' times now that the scale is known.
        for k in buffered.indices where testTimeScale != declared {
            if let raw = buffered[k].testTimeAsWrittenSeconds {
                let rescaled = raw / declared * testTimeScale
                buffered[k].testTimeAsWrittenSeconds = rescaled
                buffered[k].sample.testTimeSeconds = rescaled
                if startUnixSeconds != nil, columns[.timestamp] == nil { buffered[k].sample.unixTimeSeconds = startUnixSeconds! + rescaled }
            }
        }
        for k in buffered.indices { try postProcess(&buffered[k]) }
        pending = buffered
        pendingIndex = 0
    }

    static func unitName(_ scale: Double) -> String {
        switch scale { case 60: "minutes"; case 3600: "hours"; case 0.001: "milliseconds"; default: "seconds" }
    }

    private mutating func finish() throws {
        try checkSign(final: true)
        if let text = textSource ?? (source as? DelimitedTextSource), text.finalRecordTruncated, !finishedOnce {
            warnings.append("the last record (\(text.position - 1)) is cut short: its missing fields are read as absent")
        }
        finishedOnce = true
    }

    /// Sign and resumed-test checks, and the rule-derived cycle numbers, in record order.
    private mutating func postProcess(_ record: inout CyclerRecord) throws {
        var testTime = record.sample.testTimeSeconds
        var cycle = record.instrumentCycle
        try postProcess(
            testTime: &testTime, unix: record.sample.unixTimeSeconds, recordIndex: record.recordIndex,
            hasLabel: record.stateLabel != nil, current: record.sample.currentAmperes, direction: record.direction,
            instrumentCycle: &cycle)
        record.sample.testTimeSeconds = testTime
        record.instrumentCycle = cycle
        if let cycle { record.sample.cycleIndex = Int32(clamping: cycle) }
    }

    /// The same on a record's parts, so that the usual path can build each record once, already
    /// post-processed (building it and then changing it cost two copies of the whole record).
    @inline(__always)
    private mutating func postProcess(
        testTime: inout Double, unix: Double, recordIndex: Int, hasLabel: Bool, current: Double,
        direction: CurrentDirection, instrumentCycle: inout Int?
    ) throws {
        // Resumed tests: test time restarting while the clock goes on.
        if has(.testTime) {
            let written = testTime
            if let previous = previousTestTime, written + testTimeOffset < previous - 1 {
                if let pu = previousUnix, unix.isFinite, unix >= pu - 1 {
                    let newOffset = previous + max(0, unix - pu) - written
                    warnings.append("test time restarts at record \(recordIndex) (\(written) s after \(previous - testTimeOffset) s) while the instrument's clock goes on: a resumed test; test time continued from the clock")
                    testTimeOffset = newOffset
                } else {
                    throw CyclerReadError(file: file, location: "record \(recordIndex)", reason: "test time runs backwards (\(previous) s, then \(written + testTimeOffset) s) and no instrument clock shows a resumed test")
                }
            }
            testTime = written + testTimeOffset
            previousTestTime = testTime
        }
        if unix.isFinite {
            if let firstUnix, let firstTest = firstTestTimeForSpan, has(.testTime), has(.timestamp) {
                let wall = unix - firstUnix
                let test = testTime - firstTest
                // Test time can lag the clock (pauses) but never outrun it by much.
                if test > wall * 1.05 + 3700 {
                    throw CyclerReadError(file: file, location: "record \(recordIndex)", reason: "test time (\(test) s elapsed) runs ahead of the instrument's clock (\(wall) s elapsed): wrong time unit in profile \(profile.name)?")
                }
            } else if firstUnix == nil {
                firstUnix = unix
                firstTestTimeForSpan = testTime
            }
            previousUnix = unix
        }
        // Sign convention against the state labels.
        if profile.currentSign != .fromState, hasLabel, current.magnitude > 1e-9 {
            if direction == .charge { if current > 0 { signAgree += 1 } else { signDisagree += 1 } }
            if direction == .discharge { if current < 0 { signAgree += 1 } else { signDisagree += 1 } }
            if signAgree + signDisagree >= signCheckedAt + 200 { try checkSign(final: false) }
        }
        // Cycle numbering rules that the instrument leaves to its export software.
        switch profile.cycleNumbering {
        case .chargeAfterDischarge:
            if direction == .charge, lastActiveDirection == .discharge { ruleCycle += 1 }
            if instrumentCycle == nil { instrumentCycle = ruleCycle }
        case .firstDirectionRepeats:
            if direction == .charge || direction == .discharge {
                if firstActiveDirection == nil { firstActiveDirection = direction }
                if direction == firstActiveDirection, let last = lastActiveDirection, last != direction { ruleCycle += 1 }
            }
            if instrumentCycle == nil { instrumentCycle = ruleCycle }
        case .column, .halfCycleDiv2:
            break
        }
        if direction == .charge || direction == .discharge { lastActiveDirection = direction }
    }

    private mutating func checkSign(final: Bool) throws {
        signCheckedAt = signAgree + signDisagree
        let total = signAgree + signDisagree
        guard total >= (final ? 5 : 200) else { return }
        if Double(signDisagree) > 0.2 * Double(total) {
            let convention = profile.currentSign == .positiveIsCharge ? "positive = charge" : "positive = discharge"
            throw CyclerReadError(file: file, location: "first \(total) labelled records", reason: "current sign contradicts the instrument's state labels in \(signDisagree) of \(total) charge/discharge records; profile \(profile.name) says \(convention)")
        }
    }

    // MARK: one raw record

    // Each accessor reads the current record from `spans` when it is there and from `row`
    // otherwise. The span path gives exactly what the `RawValue` the text source would have made
    // gives: the common cases (a number, an empty field, ASCII text) are parsed in place and
    // anything else is turned into that `RawValue` and read as before.

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
    private static func blockNumber(_ row: UnsafeMutablePointer<Double>, _ c: Slot, _ nanIsMissing: Bool) -> Double? {
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
    private static func parsedNumber(_ view: FieldSpans.View, _ inSpans: Bool, _ c: Slot) -> Double? {
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

    private static func number(_ value: RawValue, _ c: Slot) -> Double? {
        if case .number(let v) = value { return v * c.scale }
        if case .text(let t) = value {
            if let v = FastNumberParser.parse(t) { return v * c.scale }
            if let v = FastNumberParser.parse(t, decimalSeparator: UInt8(ascii: ",")) { return v * c.scale }
        }
        return nil
    }

    /// Whether the file has the role's column (asked of `fastSlots`: testing a `ResolvedColumn?`
    /// per record copied its name).
    @inline(__always)
    private mutating func has(_ role: ColumnRole) -> Bool {
        fastSlots[role.ordinal].index >= 0
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

    /// Without a label, or with the previous record's, answered inline.
    @inline(__always)
    private mutating func stepType(label: String?, current: Double) -> StepType {
        if let label {
            if label == lastStateLabel { return lastStepType }
            return stepType(newLabel: label)
        }
        if current > 1e-12 { return .constantCurrentCharge }
        if current < -1e-12 { return .constantCurrentDischarge }
        return .rest
    }

    @inline(never)
    private mutating func stepType(newLabel label: String) -> StepType {
        if let known = stepTypeByLabel[label] {
            lastStateLabel = label
            lastStepType = known
            return known
        }
        let lower = label.lowercased()
        var found: StepType = .unknown
        for rule in states {
            let hit: Bool = switch rule.kind {
            case .exact: lower == rule.label
            case .prefix: lower.hasPrefix(rule.label)
            case .contains: lower.contains(rule.label)
            }
            if hit { found = rule.step; break }
        }
        lastStateLabel = label
        lastStepType = found
        if stepTypeByLabel.count < 1024 { stepTypeByLabel[label] = found }
        return found
    }

    /// - Parameter postProcessing: apply `postProcess` before building the record (else the
    ///   caller does it later, as the time-scale decision does).
    @inline(__always)
    private mutating func readRecord(postProcessing: Bool) throws -> Bool {
        let index: Int
        if readsText {
            index = textSource!.position
            switch try textSource!.nextRecord(values: &row) {
            case .end: return false
            case .spans:
                recordInSpans = true
                view = spans!.view
            case .values: recordInSpans = false
            }
        } else if blocks != nil {
            index = blockPosition
            guard index < blockRecordCount else { return false }
            try moveBlockRow(to: index)
            blockPosition = index + 1
            recordInBlock = true
        } else {
            index = source.position
            guard try source.next(into: &row) else { return false }
        }
        // No closure or `??` below captures `self`: in this mutating method that made the
        // compiler copy the whole reader for each record.
        var voltage = Double.nan
        if let v = number(.voltage) { voltage = v }
        let label = stateLabel()
        // Time.
        let writtenTestTime = seconds(.testTime, numberScale: testTimeScale)
        var unix = unixTime()
        let stepTime = seconds(.stepTime)
        var testTime: Double
        if let writtenTestTime {
            testTime = writtenTestTime
        } else if let unix {
            if firstUnixForDerived == nil { firstUnixForDerived = unix }
            testTime = unix - firstUnixForDerived!
        } else if let stepTime {
            if let p = previousStepTime, stepTime < p { derivedTimeBase += p }
            previousStepTime = stepTime
            testTime = derivedTimeBase + stepTime
        } else {
            let names = Self.columnNames([.testTime, .timestamp, .stepTime], in: slots)
            throw CyclerReadError(file: file, location: "record \(index)", reason: "no readable time in this record (columns \(names.joined(separator: ", ")))")
        }
        if unix == nil, let start = startUnixSeconds { unix = start + testTime }
        // Current.
        var current: Double
        if let i = number(.current) {
            current = i
        } else if let dq = number(.chargeIncrement) {
            // EC-Lab binaries without a current column: the average current over the interval.
            if let p = previousDerivedTime, testTime > p { current = dq * 3600 / (testTime - p) } else { current = 0 }
        } else {
            current = .nan
        }
        previousDerivedTime = testTime
        if profile.currentSign == .positiveIsDischarge { current = -current }
        let type = stepType(label: label, current: current)
        // The direction of a step type is asked of CellModel once per change of type, not per record.
        if type != directionCacheType {
            directionCacheType = type
            directionCache = CurrentDirection(type)
        }
        var direction = directionCache
        if label == nil, has(.state) { direction = .unknown }
        if profile.currentSign == .fromState {
            if direction == .charge { current = current.magnitude } else if direction == .discharge { current = -current.magnitude }
        }
        var capacity: Double? = nil
        var signed = false
        // `magnitude` is what `abs` gives a Double, without a generic call per field.
        if let q = number(.signedCapacity) { capacity = q; signed = true } else if let q = number(.capacity) { capacity = q.magnitude }
        let chargeCounter = number(.chargeCapacity)?.magnitude
        let dischargeCounter = number(.dischargeCapacity)?.magnitude
        var energy: Double? = number(.energy)?.magnitude
        if energy == nil, let ce = number(.chargeEnergy), let de = number(.dischargeEnergy) { energy = ce.magnitude - de.magnitude }
        var cycle: Int? = nil
        var halfCycle: Int? = nil
        switch profile.cycleNumbering {
        case .column:
            cycle = integer(.cycle)
            if cycle == nil, !has(.cycle), let half = integer(.halfCycle) { cycle = half / 2 }
            if cycle == nil { cycle = previousCycle }
            previousCycle = cycle
        case .halfCycleDiv2:
            halfCycle = integer(.halfCycle)
            if let halfCycle { cycle = halfCycle / 2 } else { cycle = previousCycle }
            previousCycle = cycle
        default:
            // Rule-numbered formats still take the instrument's own cycle column when a variant has one.
            cycle = integer(.cycle)
            halfCycle = integer(.halfCycle)
        }
        if halfCycle == nil { halfCycle = integer(.halfCycle) }
        let step = integer(.step)
        var temperature = number(.temperature)
        if temperatureInKelvin, let t = temperature { temperature = t - 273.15 }
        if postProcessing {
            try postProcess(
                testTime: &testTime, unix: unix ?? .nan, recordIndex: index, hasLabel: label != nil,
                current: current, direction: direction, instrumentCycle: &cycle)
        }
        // Written into `currentRecord` field by field: building a record and assigning it
        // cost a 234-byte copy and an outlined destroy of the old one per record. Every field
        // of `CyclerRecord` is set here (the fast-path tests compare every field).
        // The sample too: `Sample.init` lives in CellModel (an opaque call per record) and its
        // result, read back from the stack, stalled on store forwarding. Fields that `init`
        // would default keep the defaults `currentRecord` was made with.
        currentRecord.sample.unixTimeSeconds = unix ?? .nan
        currentRecord.sample.testTimeSeconds = testTime
        currentRecord.sample.voltageVolts = voltage
        currentRecord.sample.currentAmperes = current
        currentRecord.sample.capacityAmpHours = capacity ?? chargeCounter.flatMap { c in dischargeCounter.map { c - $0 } }
        currentRecord.sample.energyWattHours = energy
        currentRecord.sample.temperatureCelsius = temperature
        currentRecord.sample.stepIndex = step.map { Int32(clamping: $0) }
        currentRecord.sample.stepType = type
        currentRecord.sample.cycleIndex = cycle.map { Int32(clamping: $0) }
        currentRecord.recordIndex = index
        currentRecord.instrumentCycle = cycle
        currentRecord.stepNumber = step
        currentRecord.halfCycle = halfCycle
        currentRecord.stateLabel = label
        currentRecord.direction = direction
        currentRecord.testTimeAsWrittenSeconds = writtenTestTime
        currentRecord.chargeCounterAmpHours = chargeCounter
        currentRecord.dischargeCounterAmpHours = dischargeCounter
        currentRecord.capacityCounterAmpHours = capacity
        currentRecord.capacityCounterIsSigned = signed
        return true
    }

    private static func columnNames(_ roles: [ColumnRole], in slots: [ResolvedColumn?]) -> [String] {
        roles.compactMap { slots[$0.ordinal]?.name }
    }

    /// The record `next` hands out, built here in place.
    private var currentRecord = CyclerRecord(
        sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown,
        capacityCounterIsSigned: false)
    private var directionCacheType: StepType = .unknown
    private var directionCache = CurrentDirection(StepType.unknown)
    private var firstUnixForDerived: Double?
    private var testTimeWasText = false
    private var finishedOnce = false
}
