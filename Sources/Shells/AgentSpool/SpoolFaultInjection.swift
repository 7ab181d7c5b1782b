import Foundation

/// Tests only: makes chosen file operations of a spool fail with an errno, as a full disk would,
/// without filling one. A write armed with a fault first writes half of what it was given, so
/// the test also sees that a write cut short is undone. A spool without one does the real thing.
public final class SpoolFaultInjection: @unchecked Sendable {
    public enum Operation: Sendable, Hashable {
        /// Writing a record to a segment (or writing unsynced records back after a failed sync).
        case write
        /// fdatasync of a segment.
        case sync
        /// Creating a new segment file.
        case createSegment
        /// Replacing a file beside the spool (the ledger, the agent's registry).
        case storeFile
        /// Allocating the space reserve.
        case reserve
    }

    private let lock = NSLock()
    private var faults: [Operation: (errno: Int32, remaining: Int?)] = [:]

    public init() {}

    /// Fails `operation` with `code` the next `times` times (for ever when nil).
    public func fail(_ operation: Operation, errno code: Int32, times: Int? = nil) {
        lock.withLock { faults[operation] = (code, times) }
    }

    /// Lets every operation through again (space was freed).
    public func heal() {
        lock.withLock { faults.removeAll() }
    }

    /// The errno `operation` fails with this time, if any.
    func consume(_ operation: Operation) -> Int32? {
        lock.withLock {
            guard let fault = faults[operation] else { return nil }
            if let remaining = fault.remaining {
                faults[operation] = remaining > 1 ? (fault.errno, remaining - 1) : nil
            }
            return fault.errno
        }
    }
}
