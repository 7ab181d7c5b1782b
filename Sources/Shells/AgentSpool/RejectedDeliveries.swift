import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the agent sets aside a delivery the coordinator refused for good (MALFORMED,
/// NOT_YOUR_TEST, UNSTORABLE, or UNKNOWN_TEST with nothing older of its test left): re-sending
/// it would be refused again for ever and hold up the rest of the spool, and dropping it would
/// lose it silently. `rejected/` beside the spool keeps each one's envelope as sent
/// (`delivery-<epoch>-<id>.pb`, a serialized wire `Envelope`) and one JSON line per rejection in
/// `index.jsonl` (why, when, which test, how many samples), durable before the spool frees it.
/// People can read, fix or replay them; the agent never sends them again.
public final class RejectedDeliveries {
    public struct Entry: Codable, Sendable, Equatable {
        public var deliveryID: UInt64
        public var epoch: UInt64
        public var testID: String
        public var samples: Int
        public var code: String
        public var message: String
        public var rejectedAt: Double
        public var file: String

        enum CodingKeys: String, CodingKey {
            case deliveryID = "delivery_id", epoch, testID = "test_id", samples, code, message
            case rejectedAt = "rejected_at", file
        }
    }

    public let directory: URL
    /// Over the spool's life, read back from the index at start-up.
    public private(set) var deliveries = 0
    public private(set) var samples = 0

    public init(spoolDirectory: URL) {
        directory = spoolDirectory.appendingPathComponent("rejected")
        guard let text = try? String(contentsOf: directory.appendingPathComponent("index.jsonl"), encoding: .utf8) else { return }
        let decoder = JSONDecoder()
        for line in text.split(separator: "\n") {
            guard let entry = try? decoder.decode(Entry.self, from: Data(line.utf8)) else { continue }
            deliveries += 1
            samples += entry.samples
        }
    }

    /// Keeps the delivery and says why, durably. Throws if it could not (the disk is full, say):
    /// the caller then leaves the delivery in the spool, to be refused and set aside again later.
    public func setAside(payload: [UInt8], deliveryID: UInt64, epoch: UInt64, testID: String, samples: Int,
                         code: String, message: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = "delivery-\(epoch)-\(deliveryID).pb"
        try DurableFile.replace(directory.appendingPathComponent(name), with: Data(payload))
        let entry = Entry(deliveryID: deliveryID, epoch: epoch, testID: testID, samples: samples, code: code, message: message,
                          rejectedAt: Date().timeIntervalSince1970, file: name)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(UInt8(ascii: "\n"))
        let index = directory.appendingPathComponent("index.jsonl").path
        let fd = open(index, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SpoolError.io(operation: "open \(index)", errno: errno) }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        try line.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    _ = ftruncate(fd, size)  // no torn line
                    throw SpoolError.io(operation: "write \(index)", errno: errno)
                }
                written += n
            }
        }
        guard fdatasync(fd) == 0 else { throw SpoolError.io(operation: "fdatasync \(index)", errno: errno) }
        try DurableFile.syncDirectory(directory)
        deliveries += 1
        self.samples += samples
    }
}
