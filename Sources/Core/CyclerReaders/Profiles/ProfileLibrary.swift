import CellModel
import Foundation

/// Cycler profiles by name. Built-in profiles ship as JSON files in directories the caller
/// names (the executable resolves its search path: `--profiles`, `$CELLFLEET_PROFILES`, the
/// installed share directory, a checkout's `agents/profiles`); the first directory that has a
/// profile of a given name wins, so a lab can override a built-in by name. No file-system
/// lookup happens here beyond reading the directories given.
public struct ProfileLibrary: Sendable {
    public private(set) var profiles: [CyclerProfile]
    /// Directories searched, in order, for error messages.
    public let searchedDirectories: [String]

    public init(profiles: [CyclerProfile], searchedDirectories: [String] = []) {
        self.profiles = profiles
        self.searchedDirectories = searchedDirectories
    }

    /// Loads every `*.json` profile on the search path. A malformed profile is an error (a lab
    /// should hear about its typo), a missing directory is not.
    public static func load(searchPath: [String]) throws -> ProfileLibrary {
        var byName: [String: CyclerProfile] = [:]
        var order: [String] = []
        for dir in searchPath {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for entry in entries.sorted() where entry.hasSuffix(".json") {
                let path = (dir as NSString).appendingPathComponent(entry)
                let profile = try loadProfile(path: path)
                if byName[profile.name] == nil {
                    byName[profile.name] = profile
                    order.append(profile.name)
                }
            }
        }
        return ProfileLibrary(profiles: order.compactMap { byName[$0] }, searchedDirectories: searchPath)
    }

    public static func loadProfile(path: String) throws -> CyclerProfile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CyclerReadError(file: path, reason: "cannot read profile")
        }
        do {
            return try JSONDecoder().decode(CyclerProfile.self, from: data)
        } catch {
            throw CyclerReadError(file: path, reason: "invalid cycler profile: \(error)")
        }
    }

    /// The profiles in `searchPath`; no profile at all is an error (about `source`, the
    /// directory a user named or "profiles") that lists the directories searched and ends with
    /// `hint`, how to point elsewhere.
    public static func requireProfiles(searchPath: [String], source: String = "profiles", hint: String = "") throws -> ProfileLibrary {
        let library = try load(searchPath: searchPath)
        if library.profiles.isEmpty {
            throw CyclerReadError(file: source, reason: "no cycler profiles found; searched \(searchPath.joined(separator: ", "))" + (hint.isEmpty ? "" : ". " + hint))
        }
        return library
    }

    public func profile(named name: String) -> CyclerProfile? {
        profiles.first { $0.name == name }
    }

    public mutating func add(_ profile: CyclerProfile) {
        profiles.removeAll { $0.name == profile.name }
        profiles.insert(profile, at: 0)
    }
}
