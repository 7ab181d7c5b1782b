#if canImport(Glibc)
import Glibc
#endif

public enum SpoolError: Error, CustomStringConvertible, Equatable {
    case io(operation: String, errno: Int32)
    /// The spool's file system has no room (ENOSPC) or its user's quota is used up (EDQUOT): a
    /// state to wait out, not a fault. The operation left the spool as it was.
    case outOfSpace(operation: String, errno: Int32)
    case corruptLedger(path: String, reason: String)
    case entryTooLarge(bytes: Int)
    case unreadableEntry(id: UInt64, reason: String)

    /// The failure of `operation` with `code`, told apart: a full file system is `outOfSpace`.
    static func failure(_ operation: String, errno code: Int32) -> SpoolError {
        code == ENOSPC || code == EDQUOT ? .outOfSpace(operation: operation, errno: code) : .io(operation: operation, errno: code)
    }

    public var isOutOfSpace: Bool {
        if case .outOfSpace = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .io(let operation, let code): "spool I/O failed: \(operation): \(String(cString: strerror(code)))"
        case .outOfSpace(let operation, let code): "the spool's file system is full: \(operation): \(String(cString: strerror(code)))"
        case .corruptLedger(let path, let reason): "the spool ledger \(path) is unreadable (\(reason)); refusing to guess what was acknowledged"
        case .entryTooLarge(let bytes): "a spool entry of \(bytes) bytes exceeds the record limit"
        case .unreadableEntry(let id, let reason): "spool entry \(id) cannot be read back: \(reason)"
        }
    }
}

extension Error {
    /// Whether this is the spool's file system being full (see `SpoolError.outOfSpace`).
    public var isSpoolOutOfSpace: Bool { (self as? SpoolError)?.isOutOfSpace == true }
}
