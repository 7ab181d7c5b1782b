import Foundation

/// Opens any cycler file: recognises the container from its bytes, builds the raw record source
/// (text here, binary through `RecordSourceDecoders`) and picks the profile that interprets it.
public enum CyclerFile {
    public struct Options: Sendable {
        /// Cycle numbering to use instead of the profile's (a retry when the instrument's own
        /// summary disagrees with the profile's rule).
        public var cycleNumberingOverride: CycleNumbering?
        /// Force a profile by name instead of detecting one.
        public var profileName: String?
        /// The instrument's time zone, overriding the profile's.
        public var timeZone: String?
        /// Leave an unterminated last line for later (following a file that is still written).
        public var followGrowingFile = false
        /// Resume a text file from a point returned by an earlier read.
        public var resumeFrom: DelimitedTextSource.ResumePoint?
        public var decoders: RecordSourceDecoders = .builtIn

        public init(profileName: String? = nil, timeZone: String? = nil) {
            self.profileName = profileName
            self.timeZone = timeZone
        }
    }

    /// Container formats recognised from magic bytes.
    public static func binaryContainer(head: [UInt8]) -> String? {
        func starts(_ s: String, at offset: Int = 0) -> Bool {
            let b = Array(s.utf8)
            return head.count >= offset + b.count && Array(head[offset..<(offset + b.count)]) == b
        }
        if starts("PK\u{03}\u{04}") {
            // Byte search: the zip's local headers name their entries in plain bytes (Foundation's
            // String search over 64 KiB cost more than decoding a small .ndax).
            // (`firstRange(of:)` on [UInt8] resolves to Foundation's DataProtocol search, as slow.)
            let window = head.prefix(64 * 1024)
            func has(_ s: String) -> Bool {
                let needle = Array(s.utf8)
                guard let first = needle.first, window.count >= needle.count else { return false }
                var i = window.startIndex
                while i <= window.endIndex - needle.count {
                    if window[i] == first, window[i..<(i + needle.count)].elementsEqual(needle) { return true }
                    i += 1
                }
                return false
            }
            if has("xl/") || has("[Content_Types].xml") && !has(".ndc") { return "xlsx" }
            return "neware_ndax"
        }
        if starts("NEWARE") { return "neware_nda" }
        if starts("BIO-LOGIC MODULAR FILE") { return "biologic_mpr" }
        if starts("Standard Jet DB", at: 4) || starts("Standard ACE DB", at: 4) { return "arbin_res" }
        if head.prefix(4096).contains(0) { return "unknown_binary" }
        return nil
    }

    public static func open(path: String, library: ProfileLibrary, options: Options = Options()) throws -> CyclerRecordReader {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CyclerReadError(file: path, reason: "no such file")
        }
        let head = try TextLayoutSniffer.readHead(path: path)
        if head.isEmpty { throw CyclerReadError(file: path, reason: "the file is empty") }
        var candidates = library.profiles
        if let name = options.profileName {
            guard let p = library.profile(named: name) else {
                throw CyclerReadError(file: path, reason: "no profile named '\(name)' (searched: \(library.searchedDirectories.joined(separator: ", ")))")
            }
            candidates = [p]
        }
        if let container = binaryContainer(head: head) {
            if container == "xlsx", let openWorkbook = options.decoders.workbooks["xlsx"] {
                let opened = try WorkbookRecords.open(openWorkbook(path), file: path)
                var reader = try reader(for: opened.source, candidates: candidates, path: path, options: options)
                reader.instrumentCycleSummary = opened.instrumentSummary
                return reader
            }
            let source = try options.decoders.open(container: container, path: path)
            return try reader(for: source, candidates: candidates, path: path, options: options)
        }
        guard let match = TextLayoutSniffer.detect(path: path, head: head, profiles: candidates) else {
            let known = candidates.filter { $0.containers.contains("text") }.map(\.name).joined(separator: ", ")
            throw CyclerReadError(file: path, reason: "not a recognised cycler text export: no header line of a known profile (\(known)) in the first \(TextLayoutSniffer.maximumHeaderLine) lines")
        }
        // Parse only the columns the profile will read: skipping the rest is most of the speed.
        let allNames = match.layout.layered.map { $0.recordColumns + $0.cycleColumns + $0.stepColumns } ?? match.layout.columnNames
        let resolved = try CyclerRecordReader.resolveColumns(names: allNames, profile: match.profile, file: path)
        var wantedNames = Set<String>()
        for (role, column) in resolved {
            if role == .recordIndex { continue }
            if role == .stepTime, resolved[.testTime] != nil || resolved[.timestamp] != nil { continue }
            wantedNames.insert(column.name)
        }
        let source = try DelimitedTextSource(
            path: path, format: "text", layout: match.layout, wantedColumns: wantedNames,
            resumeFrom: options.resumeFrom, followGrowingFile: options.followGrowingFile)
        return try CyclerRecordReader(source: source, profile: match.profile, file: path, timeZoneOverride: options.timeZone)
    }

    /// Picks, among the profiles for this container, the first (highest priority) whose columns
    /// the source has.
    public static func reader(for source: any RawRecordSource, candidates: [CyclerProfile], path: String, options: Options = Options()) throws -> CyclerRecordReader {
        let fitting = candidates.filter { $0.containers.contains(source.format) }
            .sorted { ($0.priority ?? 0) > ($1.priority ?? 0) }
        guard !fitting.isEmpty else {
            throw CyclerReadError(file: path, reason: "no cycler profile interprets container format '\(source.format)'")
        }
        var lastError: Error? = nil
        for var profile in fitting {
            if let rule = options.cycleNumberingOverride { profile.cycleNumbering = rule }
            do { return try CyclerRecordReader(source: source, profile: profile, file: path, timeZoneOverride: options.timeZone) } catch { lastError = error }
        }
        throw lastError!
    }
}

/// Binary decoders by container format. The text reader needs none; decoders for `.nda`,
/// `.ndax`, `.mpr`, `.res` and `.xlsx` register here, and any `RawRecordSource` with named
/// columns then plugs into the profiles.
public struct RecordSourceDecoders: Sendable {
    public typealias Open = @Sendable (_ path: String) throws -> any RawRecordSource
    public typealias OpenWorkbook = @Sendable (_ path: String) throws -> any CyclerWorkbook
    public var byContainer: [String: Open]
    /// Spreadsheet decoders (key `xlsx`); the sheet logic (Arbin, LAND) is `WorkbookRecords`.
    public var workbooks: [String: OpenWorkbook]

    public init(byContainer: [String: Open] = [:], workbooks: [String: OpenWorkbook] = [:]) {
        self.byContainer = byContainer
        self.workbooks = workbooks
    }

    /// Decoders compiled into this build.
    /// The decoders of `Binary/`, by the container names `binaryContainer(head:)` gives.
    public static var builtIn: RecordSourceDecoders {
        RecordSourceDecoders(
            byContainer: [
                "neware_nda": { try NewareNDAReader.open(url: URL(fileURLWithPath: $0)) },
                "neware_ndax": { try NewareNDAXReader.open(url: URL(fileURLWithPath: $0)) },
                "biologic_mpr": { try BioLogicMPRSource(url: URL(fileURLWithPath: $0)) },
                "arbin_res": { try ArbinResSource(url: URL(fileURLWithPath: $0)) },
            ],
            workbooks: ["xlsx": { try XLSXWorkbook(url: URL(fileURLWithPath: $0)) }])
    }

    func open(container: String, path: String) throws -> any RawRecordSource {
        guard let open = byContainer[container] else {
            if container == "unknown_binary" {
                throw CyclerReadError(file: path, reason: "binary file of no known cycler format (and not a text export)")
            }
            throw CyclerReadError(file: path, reason: "recognised as \(container) but this build has no decoder for it")
        }
        return try open(path)
    }
}

/// Format detection without reading the records, for tools that drive a `DelimitedTextSource`
/// themselves (following a growing file, benchmarks).
public enum TextExportProbe {
    public struct Detected: Sendable {
        public var profile: CyclerProfile
        public var layout: TextLayout
    }

    public static func layout(path: String, library: ProfileLibrary) throws -> Detected? {
        let head = try TextLayoutSniffer.readHead(path: path)
        if CyclerFile.binaryContainer(head: head) != nil { return nil }
        return TextLayoutSniffer.detect(path: path, head: head, profiles: library.profiles).map { Detected(profile: $0.profile, layout: $0.layout) }
    }
}
