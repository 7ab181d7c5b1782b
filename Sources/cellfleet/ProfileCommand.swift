import ArgumentParser
import CyclerReaders
import Foundation

/// `cellfleet profile …`: working with cycler profiles.
struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Cycler profiles: draft one for an export no profile reads.",
        subcommands: [Suggest.self]
    )

    struct Suggest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "suggest",
            abstract: "Print a draft cycler profile (JSON) for a text export, inferred from its column names.",
            discussion: """
            The roles (time, voltage, current, capacity, cycle, step, …) are inferred from the column \
            names and units and checked against the first rows; the draft's `notes` say how sure each \
            is and which units were assumed. Check it, rename it and save it in agents/profiles/ \
            (or a directory named by --profiles / $CELLFLEET_PROFILES). Exits non-zero, naming what \
            was found and what is missing, when time, voltage or current cannot be found.
            """
        )

        @Argument(help: "Cycler text export (CSV, TSV).") var file: String
        @Option(help: "Directory of cycler profiles searched first (to tell whether one already reads the file).") var profiles: String?
        @Option(help: "Name of the drafted profile (default: draft_<file name>).") var name: String?

        func run() async throws {
            // No profiles at all is no reason not to draft one.
            let library = (try? ProfileLibrary.standard(explicitDirectory: profiles)) ?? ProfileLibrary(profiles: [])
            let (draft, recognisedBy) = try InferredProfile.suggest(path: file, library: library, name: name)
            if let recognisedBy {
                FileHandle.standardError.write(Data("note: profile \(recognisedBy) already reads \(file); the draft below is what inference alone makes of it\n".utf8))
            }
            for note in draft.profile.notes ?? [] { FileHandle.standardError.write(Data("  \(note)\n".utf8)) }
            print(draft.profileJSON)
        }
    }
}
