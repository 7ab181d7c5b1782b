import Foundation

/// One folder of data cellfleet ships: its environment variable, its installed name and its
/// place in a source checkout (the flag's directory comes first in every search).
public struct ShippedData: Sendable {
    public let environmentVariable: String
    public let installedName: String
    public let checkoutPath: String

    /// Cycler profiles (JSON): `--profiles DIR`, `$CELLFLEET_PROFILES`,
    /// `<executable dir>/../share/cellfleet/profiles`, `agents/profiles` of the nearest checkout.
    public static let profiles = ShippedData(environmentVariable: "CELLFLEET_PROFILES", installedName: "profiles", checkoutPath: "agents/profiles")
    /// SQL schemas (`schemas/migrations`): `--schemas DIR`, `$CELLFLEET_SCHEMAS`,
    /// `<executable dir>/../share/cellfleet/schemas`, `schemas` of the nearest checkout.
    public static let schemas = ShippedData(environmentVariable: "CELLFLEET_SCHEMAS", installedName: "schemas", checkoutPath: "schemas")

    /// Study files (`agents/studies`: the reference study, the scheduler's acceptance study):
    /// `$CELLFLEET_STUDIES`, `<executable dir>/../share/cellfleet/studies`, `agents/studies` of
    /// the nearest checkout.
    public static let studies = ShippedData(environmentVariable: "CELLFLEET_STUDIES", installedName: "studies", checkoutPath: "agents/studies")

    /// The web dashboard's static files (`Sources/Dashboard`: index.html, its modules and CSS),
    /// served by the HTTP API at `/` and `/dashboard/…`: `$CELLFLEET_DASHBOARD`,
    /// `<executable dir>/../share/cellfleet/dashboard`, `Sources/Dashboard` of the nearest checkout.
    public static let dashboard = ShippedData(environmentVariable: "CELLFLEET_DASHBOARD", installedName: "dashboard", checkoutPath: "Sources/Dashboard")

    /// The directories to look in, in order (`ShippedDataSearchPath.candidates`).
    public func directories(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String? = CommandLine.arguments.first,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> [String] {
        ShippedDataSearchPath.candidates(
            explicit: explicit.map { [$0] } ?? [], environmentVariable: environmentVariable,
            installedName: installedName, checkoutPath: checkoutPath,
            environment: environment, executablePath: executablePath, currentDirectory: currentDirectory)
    }
}
