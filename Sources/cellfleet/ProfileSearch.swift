import CyclerReaders
import ShippedData

extension ProfileLibrary {
    /// The profiles a command uses: `--profiles DIR` first, then `$CELLFLEET_PROFILES`, the
    /// installed `share/cellfleet/profiles` and the nearest checkout's `agents/profiles`. The
    /// executable resolves the search path; the readers only read the directories they are given.
    static func standard(explicitDirectory: String?) throws -> ProfileLibrary {
        try requireProfiles(
            searchPath: ShippedData.profiles.directories(explicit: explicitDirectory),
            source: explicitDirectory ?? "profiles", hint: "Pass --profiles DIR or set CELLFLEET_PROFILES")
    }
}
