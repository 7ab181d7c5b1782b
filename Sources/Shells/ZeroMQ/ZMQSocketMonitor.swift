import CZMQ
#if canImport(Glibc)
import Glibc
#endif

/// Connection events of a socket (libzmq's socket monitor), e.g. to tell an operator that the
/// peer refused our key, which otherwise looks like an endless silent reconnect.
public enum ZMQMonitorEvent: Sendable, Equatable {
    case connected
    case disconnected
    case handshakeSucceeded
    case handshakeFailedAuthentication(statusCode: Int32)
    case handshakeFailedProtocol
    case other(UInt16)

    public static let interestingEvents: Int32 = ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED
        | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL

    /// Decodes a monitor message: frame 1 is a 16-bit event and a 32-bit value, frame 2 the endpoint.
    public init?(frames: [[UInt8]]) {
        guard let first = frames.first, first.count >= 6 else { return nil }
        let event = UInt16(first[0]) | UInt16(first[1]) << 8
        let value = Int32(bitPattern: UInt32(first[2]) | UInt32(first[3]) << 8 | UInt32(first[4]) << 16 | UInt32(first[5]) << 24)
        switch Int32(event) {
        case ZMQ_EVENT_CONNECTED: self = .connected
        case ZMQ_EVENT_DISCONNECTED: self = .disconnected
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: self = .handshakeSucceeded
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: self = .handshakeFailedAuthentication(statusCode: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: self = .handshakeFailedProtocol
        default: self = .other(event)
        }
    }
}

extension ZMQSocket {
    /// Publishes this socket's events on a PAIR endpoint (`inproc://…`) that a monitor socket of
    /// the same context connects to.
    public func monitor(endpoint: String, events: Int32 = ZMQMonitorEvent.interestingEvents) throws {
        guard let handle = pollHandle else { throw ZMQError(errno: ENOTSOCK, operation: "socket already closed") }
        if zmq_socket_monitor(handle, endpoint, events) != 0 { throw ZMQError.last("zmq_socket_monitor \(endpoint)") }
    }
}
