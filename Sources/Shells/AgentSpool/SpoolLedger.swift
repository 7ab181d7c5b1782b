import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    func store(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(self)
        try DurableFile.replace(directory.appendingPathComponent(Self.fileName), with: data)
    }
}

/// Atomic, durable replacement of a small file.
enum DurableFile {
    static func replace(_ url: URL, with data: Data) throws {
        let temporary = url.appendingPathExtension("tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.io(operation: "open \(temporary.path)", errno: errno) }
        defer { close(fd) }
        try data.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SpoolError.io(operation: "write \(temporary.path)", errno: errno)
                }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw SpoolError.io(operation: "fsync \(temporary.path)", errno: errno) }
        guard rename(temporary.path, url.path) == 0 else { throw SpoolError.io(operation: "rename \(url.path)", errno: errno) }
        try syncDirectory(url.deletingLastPathComponent())
    }

    static func syncDirectory(_ directory: URL) throws {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError.io(operation: "open \(directory.path)", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SpoolError.io(operation: "fsync \(directory.path)", errno: errno) }
    }
}
