import CellModel
import Foundation

/// Applies a `CyclerProfile` to any `RawRecordSource` (text or binary), yielding `CyclerRecord`s
/// in our units, and refuses files that fail the sanity checks instead of reading them
/// half-right: the test-time scale must agree with the instrument's own clock, the current sign
/// with its state labels, and test time must not run backwards unless the clock shows a resumed test.
///
/// Four parts, one concern each: the `CompiledProfile` (what the profile and the file's header
/// resolve to), `RecordAccess` (the fields of the current record, however the source holds
/// them), the `RecordNormaliser` (fields to records; its carried state, `NormaliserState`, is
/// the resume token) and its `SanityChecks`. This type only sequences them, and holds back the
/// opening records until the test-time unit is decided (`TestTimeScaleDecision`).
public struct CyclerRecordReader {
    /// The normaliser's carried state, under the name callers know it by.
    public typealias State = NormaliserState

    public var profile: CyclerProfile { normaliser.profile.profile }
    public let sourceFormat: String
    public let metadata: [String: String]
    /// Things a user should know that did not make the file unreadable.
    public var warnings: [String] { normaliser.checks.warnings }
    /// Whether records are read through column blocks (`ColumnBlockSource`), for tests.
    var readsColumnBlocks: Bool { access.readsColumnBlocks }
    /// Whether the file has a test-time column (inspect prints null otherwise).
    public var hasTestTimeColumn: Bool { normaliser.profile.hasTestTime }
    public var hasTimestamps: Bool { normaliser.profile.hasTimestamp || normaliser.profile.startUnixSeconds != nil }
    public var hasTemperature: Bool { normaliser.profile.columns[.temperature] != nil }
    /// Whether a reader can pick this file up mid-way from `resumeToken` after it grew: a flat
    /// text export can; a binary container, and a layered text export (whose records inherit
    /// their cycle and step rows), are re-read from the start.
    public let resumesMidFile: Bool
    /// Index of the next record `next()` returns.
    public var position: Int { pendingIndex < pending.count ? pending[pendingIndex].fields.recordIndex : access.position }
    /// The instrument's own per-cycle capacities (Ah), where it writes them (LAND's Cycle sheet).
    public var instrumentCycleSummary: [Int: (charge: Double, discharge: Double)]?
    /// Set when no profile recognised the file and it is read through one inferred from its
    /// column names (`profile` is then that draft): the user should be told which columns were taken.
    public var inference: ColumnRoleInference?

    private var access: RecordAccess
    private var normaliser: RecordNormaliser
    /// The opening records' fields, read while deciding the test-time scale and normalised as
    /// they are handed out; bounded (`TestTimeScaleDecision` ends within 20 000 records).
    private var pending: [BufferedRecord] = []
    private var pendingIndex = 0
    /// The text position after the buffered record last handed out.
    private var pendingTextPoint: DelimitedTextSource.ResumePoint?
    private var scaleDecided: Bool
    private var finishedOnce = false
    /// The record `next` hands out, built here in place.
    private var currentRecord = CyclerRecord(
        sample: Sample(testTimeSeconds: 0, voltageVolts: 0, currentAmperes: 0), recordIndex: 0, direction: .unknown,
        capacityCounterIsSigned: false)

    private struct BufferedRecord {
        var fields: RecordFields
        var label: String?
        /// Where a text export's next line starts after this record.
        var textPoint: DelimitedTextSource.ResumePoint?
    }

    /// Records read while the test-time scale is undecided, at most.
    static let maximumRecordsForScaleDecision = 20_000

    public init(source: any RawRecordSource, profile: CyclerProfile, file: String, timeZoneOverride: String? = nil) throws {
        let compiled = try CompiledProfile(
            profile: profile, columnNames: source.columnNames, metadata: source.metadata, file: file, timeZoneOverride: timeZoneOverride,
            inheritedColumnsStart: source.inheritedColumnsStart)
        sourceFormat = source.format
        metadata = source.metadata
        resumesMidFile = source is DelimitedTextSource && source.inheritedColumnsStart == nil
        access = RecordAccess(source: source, profile: compiled)
        normaliser = RecordNormaliser(profile: compiled)
        scaleDecided = !compiled.decidesTestTimeScale
    }

    /// The columns `profile` reads in a file with these column names (`CyclerFile` parses only those).
    static func resolveColumns(names: [String], profile: CyclerProfile, file: String, inheritedFrom: Int? = nil) throws -> [ColumnRole: ResolvedColumn] {
        try ColumnResolution.resolve(names: names, profile: profile, file: file, inheritedFrom: inheritedFrom)
    }

    /// Column names compared loosely, as the format sniffer compares header lines.
    static func normalisedName(_ name: String) -> String {
        ColumnResolution.normalisedName(name)
    }

    // MARK: resuming

    /// The carried state after the last record returned (take it together with the source's resume point).
    public var state: State { normaliser.state }

    /// Continues from `state`, saved by an earlier reader of the same file after at least one
    /// record: its test-time scale is taken as decided.
    public mutating func restore(_ state: State) {
        normaliser.state = state
        scaleDecided = true
    }

    /// Where to pick this file up again after the records returned so far.
    public var resumeToken: CyclerResumeToken {
        let text = pending.isEmpty ? access.textResumePoint : pendingTextPoint
        return CyclerResumeToken(recordIndex: position, text: text, state: normaliser.state)
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
        try advance() ? currentRecord : nil
    }

    /// Builds the next record into `currentRecord`; false at the end. The held-back opening
    /// records are the rare path.
    @inline(__always)
    private mutating func advance() throws -> Bool {
        _slowPath(pendingIndex < pending.count || !scaleDecided) ? try nextBuffered() : try nextRead()
    }

    /// Hands every remaining record to `body`, borrowed where it is built. For callers in other
    /// modules: there `next()` is a call returning the 234-byte record by value, which made a
    /// full read of a binary file up to twice as slow (`bench parse`, .mpr) once the benchmark and
    /// the commands moved out of this module.
    public mutating func forEachRecord(_ body: (CyclerRecord) throws -> Void) throws {
        while try advance() {
            try body(currentRecord)
        }
    }

    /// Hands up to `limit` records to `body`, borrowed as `forEachRecord` does; false once the end
    /// of the data is reached. For a source that takes a file in batches (an agent following it).
    public mutating func forEachRecord(limit: Int, _ body: (CyclerRecord) throws -> Void) throws -> Bool {
        var handed = 0
        while handed < limit {
            guard try advance() else { return false }
            try body(currentRecord)
            handed += 1
        }
        return true
    }

    /// The records buffered while deciding the test-time scale (deciding it first if needed).
    @inline(never)
    private mutating func nextBuffered() throws -> Bool {
        if !scaleDecided { try decideTestTimeScale() }
        guard pendingIndex < pending.count else { return try nextRead() }
        let buffered = pending[pendingIndex]
        pendingIndex += 1
        pendingTextPoint = buffered.textPoint
        try normaliser.normalise(buffered.fields, label: buffered.label, into: &currentRecord)
        if pendingIndex == pending.count {
            pending.removeAll(keepingCapacity: false)
            pendingIndex = 0
        }
        return true
    }

    /// The usual path on its own: reads the next record into `currentRecord`.
    @inline(never)
    private mutating func nextRead() throws -> Bool {
        guard let index = try access.advance() else {
            try finish()
            return false
        }
        let (fields, label) = access.fields(of: index, testTimeScale: normaliser.state.testTimeScale)
        try normaliser.normalise(fields, label: consume label, into: &currentRecord)
        return true
    }

    /// Buffers the opening records' fields until the instrument's clock has advanced enough to
    /// tell which unit the test-time column is in, then rescales their test times to it.
    private mutating func decideTestTimeScale() throws {
        var decision = TestTimeScaleDecision(profile: normaliser.profile)
        var buffered: [BufferedRecord] = []
        while buffered.count < Self.maximumRecordsForScaleDecision, let index = try access.advance() {
            let read = access.fields(of: index, testTimeScale: decision.declared)
            buffered.append(BufferedRecord(fields: read.fields, label: read.label, textPoint: access.textResumePoint))
            if let scale = try decision.add(read.fields) {
                if let warning = decision.warning(for: scale) { normaliser.checks.warnings.append(warning) }
                normaliser.state.testTimeScale = scale
                break
            }
        }
        scaleDecided = true
        let scale = normaliser.state.testTimeScale
        if scale != decision.declared {
            for k in buffered.indices {
                if let raw = buffered[k].fields.testTimeSeconds { buffered[k].fields.testTimeSeconds = raw / decision.declared * scale }
            }
        }
        pending = buffered
        pendingIndex = 0
    }

    private mutating func finish() throws {
        try normaliser.finish()
        if access.finalRecordTruncated, !finishedOnce {
            normaliser.checks.warnTruncatedLastRecord(recordIndex: access.position - 1)
        }
        finishedOnce = true
    }
}
