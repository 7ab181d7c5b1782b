import Foundation

/// Opens any cycler file: recognises the container from its bytes, builds the raw record source
/// (text here, binary through the `ContainerRegistry`) and picks the profile that interprets it.
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
        /// The binary containers recognised and their decoders.
        public var decoders: ContainerRegistry = .builtIn

        public init(profileName: String? = nil, timeZone: String? = nil) {
            self.profileName = profileName
            self.timeZone = timeZone
        }
    }

    /// The registry's name for a file's container from its first bytes alone (zips by the
    /// entry names their local headers spell), nil for text.
    public static func binaryContainer(head: [UInt8]) -> String? {
        ContainerRegistry.builtIn.classify(path: nil, head: head)
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
        if let (_, decoded) = try options.decoders.decode(path: path, head: head) {
            switch decoded {
            case .workbook(let workbook):
                let opened = try WorkbookRecords.open(workbook, file: path)
                var reader = try reader(for: opened.source, candidates: candidates, path: path, options: options)
                reader.instrumentCycleSummary = opened.instrumentSummary
                return reader
            case .records(let source):
                return try reader(for: source, candidates: candidates, path: path, options: options)
            }
        }
        guard let match = TextLayoutSniffer.detect(path: path, head: head, profiles: candidates) else {
            let known = candidates.filter { $0.containers.contains("text") }.map(\.name).joined(separator: ", ")
            if options.profileName != nil {
                throw CyclerReadError(file: path, reason: "not a recognised cycler text export: no header line of profile \(known) in the first \(TextLayoutSniffer.maximumHeaderLine) lines")
            }
            // No profile's header rule fits: read it through a profile inferred from the column
            // names, or say what was found and what is missing.
            let inferred = try InferredProfile.infer(path: path, head: head)
            var reader = try textReader(path: path, layout: inferred.layout, profile: inferred.profile, options: options)
            reader.inference = inferred.inference
            return reader
        }
        return try textReader(path: path, layout: match.layout, profile: match.profile, options: options)
    }

    /// Reads a text export whose layout and profile are known.
    static func textReader(path: String, layout: TextLayout, profile: CyclerProfile, options: Options) throws -> CyclerRecordReader {
        // Parse only the columns the profile will read: skipping the rest is most of the speed.
        let allNames = layout.layered.map { $0.recordColumns + $0.cycleColumns + $0.stepColumns } ?? layout.columnNames
        let resolved = try CyclerRecordReader.resolveColumns(names: allNames, profile: profile, file: path, inheritedFrom: layout.layered?.recordColumns.count)
        var wantedNames = Set<String>()
        for (role, column) in resolved {
            if role == .recordIndex { continue }
            if role == .stepTime, resolved[.testTime] != nil || resolved[.timestamp] != nil { continue }
            wantedNames.insert(column.name)
        }
        let source = try DelimitedTextSource(
            path: path, format: "text", layout: layout, wantedColumns: wantedNames,
            resumeFrom: options.resumeFrom, followGrowingFile: options.followGrowingFile)
        return try CyclerRecordReader(source: source, profile: profile, file: path, timeZoneOverride: options.timeZone)
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

/// Format detection without reading the records, for tools that drive a `DelimitedTextSource`
/// themselves (following a growing file, benchmarks).
public enum TextExportProbe {
    public struct Detected: Sendable {
        public var profile: CyclerProfile
        public var layout: TextLayout
    }

    public static func layout(path: String, library: ProfileLibrary) throws -> Detected? {
        let head = try TextLayoutSniffer.readHead(path: path)
        if ContainerRegistry.builtIn.classify(path: path, head: head) != nil { return nil }
        return TextLayoutSniffer.detect(path: path, head: head, profiles: library.profiles).map { Detected(profile: $0.profile, layout: $0.layout) }
    }
}
