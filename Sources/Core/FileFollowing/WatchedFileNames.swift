import Foundation

/// Which files in a watched folder are followed. Vendor software and editors leave files beside
/// the exports that are not measurements (partial downloads, Office lock files, our own
/// sidecars), and a lab narrows a folder to one kind with a glob.
public struct WatchedFileFilter: Sendable, Hashable {
    /// A glob on the file name (`*.mpr`, `Channel_*.csv`); nil takes every file.
    public var pattern: String?

    public init(pattern: String? = nil) {
        self.pattern = pattern
    }

    /// Why `fileName` is not followed, or nil when it is.
    public func exclusion(of fileName: String) -> String? {
        if fileName.hasPrefix(".") { return "a dot file" }
        if fileName.hasPrefix("~$") { return "an Office lock file" }
        let lower = fileName.lowercased()
        if lower.hasSuffix(".part") || lower.hasSuffix(".tmp") { return "a partial file (.part, .tmp)" }
        if lower.hasSuffix(".cell.toml") { return "a cell sidecar (read beside its data file, not followed)" }
        if let pattern, fnmatch(pattern, fileName, 0) != 0 { return "not matching \(pattern)" }
        return nil
    }

    public func follows(_ fileName: String) -> Bool { exclusion(of: fileName) == nil }
}

/// How a followed file's channel id is found: a fixed id, a regular expression whose first group
/// is the channel in the file name, or (no rule) the file's stem.
public enum ChannelRule: Sendable, Hashable {
    case stem
    case fixed(String)
    case pattern(String)

    /// A `channel` setting: a regular expression when it has a capture group, else a fixed id.
    public init(setting: String?) throws(ChannelRuleError) {
        guard let setting, !setting.isEmpty else { self = .stem; return }
        guard setting.contains("(") else { self = .fixed(setting); return }
        do {
            let regex = try Regex(setting)
            _ = regex
        } catch {
            throw ChannelRuleError(description: "channel rule '\(setting)' is not a valid regular expression: \(error)")
        }
        self = .pattern(setting)
    }

    /// The channel id of the file named `fileName` (the experiment's stem for multi-part files).
    public func channelID(fileName: String, stem: String) throws(ChannelRuleError) -> String {
        switch self {
        case .stem: return stem
        case .fixed(let id): return id
        case .pattern(let pattern):
            guard let regex = try? Regex(pattern), let match = try? regex.firstMatch(in: fileName),
                  match.output.count > 1, let group = match.output[1].substring, !group.isEmpty
            else {
                throw ChannelRuleError(description: "the file name \(fileName) does not match the channel rule '\(pattern)' (its first group is the channel id)")
            }
            return String(group)
        }
    }
}

public struct ChannelRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}

/// One experiment split over several files, as vendor software names them: its parts are one
/// test, read in order. The rules are the vendors' own naming (docs/file-sources.md §3):
/// - BioLogic EC-Lab, a technique sequence: `BASE_NN_TECHNIQUE_CHANNEL.mpr|.mpt`, e.g.
///   `run_01_OCV_C01.mpr`, `run_02_GCPL_C01.mpr` (part NN, the channel kept in the key);
/// - Arbin MITS, a workbook split as it grows: `BASE_Wb_N.xlsx|.csv`.
/// Maccor's `BASE.NNN` is not joined: the three digits are the channel the file came from
/// (a fixture from channel 81 ends `.081`), so joining them would merge different cells' tests.
public struct ExperimentPart: Sendable, Hashable {
    /// What the parts of one experiment share (relative directory included by the caller).
    public var experimentKey: String
    /// Position among the parts (the vendor's number).
    public var part: Int
    /// The stem a channel rule and the default cell id use: the experiment's, not the part's.
    public var stem: String

    /// The part `fileName` is, or a one-part experiment named by its stem.
    public init(fileName: String) {
        let (base, ext) = Self.split(fileName)
        let lowerExt = ext.lowercased()
        if lowerExt == "mpr" || lowerExt == "mpt", let found = Self.bioLogicSequence(base) {
            experimentKey = "\(found.base)_\(found.channel).\(lowerExt)"
            part = found.part
            stem = "\(found.base)_\(found.channel)"
            return
        }
        if let found = Self.arbinWorkbook(base) {
            experimentKey = "\(found.base)_Wb.\(lowerExt)"
            part = found.part
            stem = found.base
            return
        }
        experimentKey = fileName
        part = 0
        stem = base.isEmpty ? fileName : base
    }

    private static func split(_ fileName: String) -> (base: String, ext: String) {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return (fileName, "") }
        return (String(fileName[..<dot]), String(fileName[fileName.index(after: dot)...]))
    }

    /// `BASE_NN_TECHNIQUE_CNN`: the last three `_` fields are a two-digit part, letters, a channel.
    private static func bioLogicSequence(_ base: String) -> (base: String, part: Int, channel: String)? {
        let fields = base.split(separator: "_", omittingEmptySubsequences: false)
        guard fields.count >= 4 else { return nil }
        let number = fields[fields.count - 3], technique = fields[fields.count - 2], channel = fields[fields.count - 1]
        guard number.count == 2, number.allSatisfy(\.isNumber), let part = Int(number),
              !technique.isEmpty, technique.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }), technique.first!.isLetter,
              channel.count >= 2, channel.first == "C" || channel.first == "c", channel.dropFirst().allSatisfy(\.isNumber)
        else { return nil }
        return (fields[..<(fields.count - 3)].joined(separator: "_"), part, String(channel))
    }

    /// `BASE_Wb_N`.
    private static func arbinWorkbook(_ base: String) -> (base: String, part: Int)? {
        guard let range = base.range(of: "_Wb_", options: .backwards) else { return nil }
        let number = base[range.upperBound...]
        guard !number.isEmpty, number.allSatisfy(\.isNumber), let part = Int(number), range.lowerBound != base.startIndex else { return nil }
        return (String(base[..<range.lowerBound]), part)
    }
}
