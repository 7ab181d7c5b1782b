#if canImport(Glibc)
import Glibc
#endif

public enum SpoolError: Error, CustomStringConvertible, Equatable {
    case io(operation: String, errno: Int32)
    case corruptLedger(path: String, reason: String)
    case entryTooLarge(bytes: Int)
    case unreadableEntry(id: UInt64, reason: String)

    public var description: String {
        switch self {
        case .io(let operation, let code): "spool I/O failed: \(operation): \(String(cString: strerror(code)))"
        case .corruptLedger(let path, let reason): "the spool ledger \(path) is unreadable (\(reason)); refusing to guess what was acknowledged"
        case .entryTooLarge(let bytes): "a spool entry of \(bytes) bytes exceeds the record limit"
        case .unreadableEntry(let id, let reason): "spool entry \(id) cannot be read back: \(reason)"
        }
    }
}
