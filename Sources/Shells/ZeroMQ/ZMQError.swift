import CZMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq call failed. `errno` is kept so callers can tell the expected conditions
/// (`EAGAIN` at the high-water mark, `EHOSTUNREACH` for a gone ROUTER peer, `ETERM` at shutdown)
/// from real faults.
public struct ZMQError: Error, CustomStringConvertible, Sendable, Equatable {
    public let errno: Int32
    public let operation: String

    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    static func last(_ operation: String) -> ZMQError {
        ZMQError(errno: zmq_errno(), operation: operation)
    }

    public var isWouldBlock: Bool { errno == EAGAIN }
    public var isHostUnreachable: Bool { errno == EHOSTUNREACH }
    public var isContextTerminated: Bool { errno == ETERM }

    public var description: String {
        "\(operation): \(String(cString: zmq_strerror(errno))) (errno \(errno))"
    }
}
