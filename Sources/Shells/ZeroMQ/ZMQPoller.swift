import CZMQ

/// What to wait for on each socket or file descriptor in one `zmq_poll` call.
public struct ZMQPollEvents: OptionSet, Sendable {
    public let rawValue: Int16
    public init(rawValue: Int16) { self.rawValue = rawValue }
    public static let readable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLIN))
    public static let writable = ZMQPollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

public enum ZMQPollTarget {
    case socket(ZMQSocket, ZMQPollEvents)
    case fileDescriptor(Int32, ZMQPollEvents)
}

public enum ZMQPoller {
    /// Waits until one of the targets is ready or the timeout (milliseconds, -1 = forever) passes.
    /// Returns the ready events per target, in order.
    public static func poll(_ targets: [ZMQPollTarget], timeoutMilliseconds: Int) throws -> [ZMQPollEvents] {
        var items = targets.map { target -> zmq_pollitem_t in
            switch target {
            case .socket(let socket, let events):
                return zmq_pollitem_t(socket: socket.pollHandle, fd: 0, events: events.rawValue, revents: 0)
            case .fileDescriptor(let fd, let events):
                return zmq_pollitem_t(socket: nil, fd: fd, events: events.rawValue, revents: 0)
            }
        }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMilliseconds)
        if rc < 0 {
            let error = ZMQError.last("zmq_poll")
            if error.errno == EINTR { return Array(repeating: [], count: items.count) }
            throw error
        }
        return items.map { ZMQPollEvents(rawValue: $0.revents) }
    }
}
