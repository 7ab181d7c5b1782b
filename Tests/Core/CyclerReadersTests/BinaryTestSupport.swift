import Foundation
import Testing
@testable import CyclerReaders

/// Locations of binary fixtures: permissive ones copied under Fixtures/binary, GPL ones left in
/// the shared fixture folder beside the repository (tests skip when it is absent).
enum BinaryFixtures {
    static let local = FixturePaths.fixtures.appendingPathComponent("binary")
    static let shared = FixturePaths.shared

    static func local(_ name: String) -> URL { local.appendingPathComponent(name) }

    /// A GPL fixture from ../shared/fixtures, or nil (with a note) when that folder is absent.
    static func shared(_ relative: String) -> URL? {
        let url = shared.appendingPathComponent(relative)
        if FileManager.default.fileExists(atPath: url.path) { return url }
        print("skipping: \(url.path) is absent (GPL fixtures live outside the repository)")
        return nil
    }

    static var hasShared: Bool { FileManager.default.fileExists(atPath: shared.path) }
}

/// Reads every record of a source into memory, for assertions.
func readAll(_ source: inout some RawRecordSource) throws -> [[RawValue]] {
    var rows: [[RawValue]] = []
    var row: [RawValue] = []
    while try source.next(into: &row) { rows.append(row) }
    return rows
}

func numbers(_ rows: [[RawValue]], column: Int) -> [Double] {
    rows.map { if case .number(let x) = $0[column] { x } else { .nan } }
}

extension RawValue {
    var number: Double? { if case .number(let x) = self { x } else { nil } }
    var text: String? { if case .text(let s) = self { s } else { nil } }
}
