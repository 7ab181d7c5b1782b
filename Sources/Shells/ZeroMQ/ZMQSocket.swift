import CZMQ
#if canImport(Glibc)
import Glibc
#endif

public enum ZMQSocketType: Int32, Sendable {
    case pair = 0, pub = 1, sub = 2, req = 3, rep = 4, dealer = 5, router = 6, pull = 7, push = 8
}

/// A libzmq socket. libzmq sockets must be used by one thread only, so this class is deliberately
/// not `Sendable` (the compiler keeps it on the isolation domain that made it), and every call
/// checks that it runs on the thread that created the socket.
public final class ZMQSocket {
    private var handle: UnsafeMutableRawPointer?
    private let owner: pthread_t
    public let type: ZMQSocketType

    public init(context: ZMQContext, type: ZMQSocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else { throw ZMQError.last("zmq_socket") }
        self.handle = handle
        self.type = type
        self.owner = pthread_self()
    }

    deinit {
        // Closing from deinit is only safe on the owning thread; callers close explicitly.
        if let handle, pthread_equal(owner, pthread_self()) != 0 { zmq_close(handle) }
    }

    private func checkedHandle() throws -> UnsafeMutableRawPointer {
        precondition(pthread_equal(owner, pthread_self()) != 0, "a ZeroMQ socket was used from a thread that does not own it")
        guard let handle else { throw ZMQError(errno: ENOTSOCK, operation: "socket already closed") }
        return handle
    }

    /// The raw handle, for `zmq_poll` on the owning thread.
    var pollHandle: UnsafeMutableRawPointer? { handle }

    public func bind(_ endpoint: String) throws {
        if zmq_bind(try checkedHandle(), endpoint) != 0 { throw ZMQError.last("zmq_bind \(endpoint)") }
    }

    public func connect(_ endpoint: String) throws {
        if zmq_connect(try checkedHandle(), endpoint) != 0 { throw ZMQError.last("zmq_connect \(endpoint)") }
    }

    public func close(lingerMilliseconds: Int32 = 0) {
        guard let handle else { return }
        precondition(pthread_equal(owner, pthread_self()) != 0, "a ZeroMQ socket was closed from a thread that does not own it")
        var linger = lingerMilliseconds
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
        zmq_close(handle)
        self.handle = nil
    }

    // MARK: options

    public func setOption(_ option: Int32, _ value: Int32) throws {
        var value = value
        if zmq_setsockopt(try checkedHandle(), option, &value, MemoryLayout<Int32>.size) != 0 {
            throw ZMQError.last("zmq_setsockopt \(option)")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws {
        let handle = try checkedHandle()
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        if rc != 0 { throw ZMQError.last("zmq_setsockopt \(option)") }
    }

    public func setOption(_ option: Int32, string: String) throws {
        try setOption(option, bytes: Array(string.utf8))
    }

    public func getOption(_ option: Int32) throws -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        if zmq_getsockopt(try checkedHandle(), option, &value, &size) != 0 { throw ZMQError.last("zmq_getsockopt \(option)") }
        return value
    }

    public func setRoutingID(_ id: String) throws { try setOption(ZMQ_ROUTING_ID, string: id) }
    public func setLinger(milliseconds: Int32) throws { try setOption(ZMQ_LINGER, milliseconds) }
    /// Without it a ROUTER silently drops messages to peers that are gone or full.
    public func setRouterMandatory(_ on: Bool) throws { try setOption(ZMQ_ROUTER_MANDATORY, on ? 1 : 0) }
    public func setRouterHandover(_ on: Bool) throws { try setOption(ZMQ_ROUTER_HANDOVER, on ? 1 : 0) }
    public func setImmediate(_ on: Bool) throws { try setOption(ZMQ_IMMEDIATE, on ? 1 : 0) }
    public func setHighWaterMarks(send: Int32, receive: Int32) throws {
        try setOption(ZMQ_SNDHWM, send)
        try setOption(ZMQ_RCVHWM, receive)
    }
    public func setMaximumMessageSize(bytes: Int64) throws {
        var value = bytes
        if zmq_setsockopt(try checkedHandle(), ZMQ_MAXMSGSIZE, &value, MemoryLayout<Int64>.size) != 0 {
            throw ZMQError.last("zmq_setsockopt ZMQ_MAXMSGSIZE")
        }
    }
    /// ZMTP heartbeats: not used by cellfleet (they cut connections under back-pressure, see
    /// `ZMQConnectionLiveness`); kept so a test can show why.
    public func setHeartbeat(intervalMilliseconds: Int32, timeoutMilliseconds: Int32, ttlMilliseconds: Int32) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, intervalMilliseconds)
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, timeoutMilliseconds)
        try setOption(ZMQ_HEARTBEAT_TTL, ttlMilliseconds)
    }
    /// Reconnects back off exponentially only when a maximum is set.
    public func setReconnect(intervalMilliseconds: Int32, maximumMilliseconds: Int32) throws {
        try setOption(ZMQ_RECONNECT_IVL, intervalMilliseconds)
        try setOption(ZMQ_RECONNECT_IVL_MAX, maximumMilliseconds)
    }

    /// Makes this socket a CURVE server with the given secret key (Z85, 40 characters).
    public func makeCurveServer(secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVER, 1)
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8) + [0])
    }

    /// Makes this socket a CURVE client of the server with `serverPublicKey` (all keys Z85).
    public func makeCurveClient(publicKey: String, secretKey: String, serverPublicKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverPublicKey.utf8) + [0])
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(publicKey.utf8) + [0])
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8) + [0])
    }

    public func setZAPDomain(_ domain: String) throws { try setOption(ZMQ_ZAP_DOMAIN, string: domain) }

    // MARK: messages

    /// Sends all frames as one atomic multipart message. Returns false if the message could not be
    /// queued without blocking (`EAGAIN`, only with `dontWait`); throws on any other failure,
    /// e.g. `EHOSTUNREACH` for a ROUTER peer that is gone.
    @discardableResult
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws -> Bool {
        let handle = try checkedHandle()
        precondition(!frames.isEmpty, "a ZeroMQ message has at least one frame")
        for (index, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if index < frames.count - 1 { flags |= ZMQ_SNDMORE }
            while true {
                let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
                if rc >= 0 { break }
                let error = ZMQError.last("zmq_send")
                if error.errno == EINTR { continue }
                // Only the first frame can hit the high-water mark; later frames of a started
                // multipart message are always accepted.
                if error.isWouldBlock, index == 0 { return false }
                throw error
            }
        }
        return true
    }

    /// Receives one whole multipart message, or nil if none is waiting (with `dontWait`).
    public func receive(dontWait: Bool = false) throws -> ZMQMessage? {
        let handle = try checkedHandle()
        let message = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        defer { message.deallocate() }
        var frames: [[UInt8]] = []
        var userID: String?
        var sourceFileDescriptor: Int32?
        while true {
            zmq_msg_init(message)
            var rc: Int32
            repeat {
                rc = zmq_msg_recv(message, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0)
            } while rc < 0 && zmq_errno() == EINTR
            if rc < 0 {
                let error = ZMQError.last("zmq_msg_recv")
                zmq_msg_close(message)
                if error.isWouldBlock, frames.isEmpty { return nil }
                throw error
            }
            let size = zmq_msg_size(message)
            if size > 0, let data = zmq_msg_data(message) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if userID == nil, let property = zmq_msg_gets(message, "User-Id") {
                userID = String(cString: property)
            }
            if sourceFileDescriptor == nil, case let fd = zmq_msg_get(message, ZMQ_SRCFD), fd >= 0 { sourceFileDescriptor = fd }
            let more = zmq_msg_more(message) != 0
            zmq_msg_close(message)
            if !more { break }
        }
        return ZMQMessage(frames: frames, userID: userID, sourceFileDescriptor: sourceFileDescriptor)
    }
}
