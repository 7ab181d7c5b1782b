import Foundation

/// What the spool must remember after the segments holding acknowledged entries are gone.
/// It is made durable (written, fsynced, renamed into place, directory fsynced) before any
/// segment is unlinked, so a crash can only make the agent re-send, never forget.
struct SpoolLedger: Codable, Equatable {
    var format = 1
    /// Changes when a spool is created anew; delivery ids restart with it.
    var epoch: UInt64
    /// Every entry with an id at or below this has been acknowledged.
    var ackedThrough: UInt64 = 0
    /// Samples in those entries, summed over the spool's whole life.
    var ackedSamples: Int = 0
    /// Highest sample sequence number acknowledged per test.
    var testHighSequence: [String: UInt64] = [:]

    static let fileName = "ledger.json"

    static func load(from directory: URL) throws -> SpoolLedger? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(SpoolLedger.self, from: Data(contentsOf: url))
        } catch {
            throw SpoolError.corruptLedger(path: url.path, reason: "\(error)")
        }
    }

    /// What `ledger.json` holds; the spool replaces the file with it (`Spool.storeBeside`).
    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}
