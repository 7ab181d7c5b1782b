import Foundation

/// The two folders of data cellfleet ships, each with its flag's directory first, its
/// environment variable, its installed name and its place in a source checkout.
extension ShippedDataSearchPath {
    /// Cycler profiles (JSON): `--profiles DIR`, `$CELLFLEET_PROFILES`,
    /// `<executable dir>/../share/cellfleet/profiles`, `agents/profiles` of the nearest checkout.
    public static func profileDirectories(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = CommandLine.arguments.first,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [String] {
        candidates(
            explicit: explicit.map { [$0] } ?? [], environmentVariable: "CELLFLEET_PROFILES",
            installedName: "profiles", checkoutPath: "agents/profiles",
            environment: environment, executablePath: executablePath, currentDirectory: currentDirectory)
    }

    /// SQL schemas (`schemas/migrations`): `--schemas DIR`, `$CELLFLEET_SCHEMAS`,
    /// `<executable dir>/../share/cellfleet/schemas`, `schemas` of the nearest checkout.
    public static func schemaDirectories(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = CommandLine.arguments.first,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [String] {
        candidates(
            explicit: explicit.map { [$0] } ?? [], environmentVariable: "CELLFLEET_SCHEMAS",
            installedName: "schemas", checkoutPath: "schemas",
            environment: environment, executablePath: executablePath, currentDirectory: currentDirectory)
    }
}
