import CellModel
import Foundation

/// Finds and loads cycler profiles. Built-in profiles ship as JSON files, found on a search path
/// so that an installed binary and a checkout behave alike; the first directory that has a
/// profile of a given name wins, so a lab can override a built-in by name:
///
/// 1. `--profiles DIR` (the `explicitDirectory`),
/// 2. `$CELLFLEET_PROFILES` (one directory, or several separated by `:`),
/// 3. `<directory of the executable>/../share/cellfleet/profiles`,
/// 4. `agents/profiles` in the nearest ancestor of the executable (a source checkout), and of
///    the current directory.
public struct ProfileLibrary: Sendable {
    public private(set) var profiles: [CyclerProfile]
    /// Directories searched, in order, for error messages.
    public let searchedDirectories: [String]

    public init(profiles: [CyclerProfile], searchedDirectories: [String] = []) {
        self.profiles = profiles
        self.searchedDirectories = searchedDirectories
    }

    public static func searchPath(explicitDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment, executablePath: String? = CommandLine.arguments.first) -> [String] {
        ShippedDataSearchPath.candidates(
            explicit: explicitDirectory.map { [$0] } ?? [], environmentVariable: "CELLFLEET_PROFILES",
            installedName: "profiles", checkoutPath: "agents/profiles",
            environment: environment, executablePath: executablePath)
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

    /// The profiles on the standard search path (see the type's documentation).
    public static func standard(explicitDirectory: String? = nil) throws -> ProfileLibrary {
        let path = searchPath(explicitDirectory: explicitDirectory)
        let library = try load(searchPath: path)
        if library.profiles.isEmpty {
            throw CyclerReadError(file: explicitDirectory ?? "profiles", reason: "no cycler profiles found; searched \(path.joined(separator: ", ")). Pass --profiles DIR or set CELLFLEET_PROFILES")
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
