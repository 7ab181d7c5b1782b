import CZMQ

/// A libzmq context. Contexts are thread-safe (unlike sockets), so this one is `Sendable`.
///
/// `terminate()` blocks until every socket of the context is closed; it is never called from
/// `deinit`, because a context released on an arbitrary thread while its sockets live would hang.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        self.handle = handle
    }

    /// Makes every blocking call on this context's sockets return `ETERM`.
    public func shutdown() {
        _ = zmq_ctx_shutdown(handle)
    }

    /// Waits until all sockets are closed, then frees the context.
    public func terminate() {
        while zmq_ctx_term(handle) != 0 && zmq_errno() == EINTR {}
    }

    public static var version: (major: Int32, minor: Int32, patch: Int32) {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (major, minor, patch)
    }

    public static func has(_ capability: String) -> Bool { zmq_has(capability) != 0 }
}
