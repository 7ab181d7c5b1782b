import CZMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one ZeroMQ socket on a dedicated OS thread and bridges it to Swift concurrency.
///
/// libzmq sockets are not thread-safe and its blocking calls must not occupy the cooperative
/// pool (2 threads on our machines), so the socket lives on its own thread in a `zmq_poll` loop.
/// Other threads hand it outbound messages through a locked queue plus an `eventfd` that wakes the
/// poll; inbound messages come out of `messages`, a bounded inbox: while it is full the loop
/// does not read the socket, so a consumer that falls behind pushes back on the peers (libzmq's
/// receive high-water mark, then TCP) instead of letting the process buffer without limit.
public final class ZMQSocketLoop: Sendable {
    /// What the loop does with a message it cannot hand to libzmq.
    public enum SendFailure: Sendable {
        case hostUnreachable(frames: [[UInt8]])
        /// The peer's high-water mark is reached (it does not read); dropped under `.drop`.
        case peerFull(frames: [[UInt8]])
        case failed(ZMQError)
    }

    /// What to do with a message libzmq cannot take now because its peer's queue is full.
    public enum WhenPeerFull: Sendable {
        /// Keep it, and everything queued after it, until libzmq takes it (a DEALER: the
        /// coordinator is busy, and the order of what we send matters).
        case wait
        /// Drop it and report `peerFull` (a ROUTER with `ROUTER_MANDATORY` answering many peers:
        /// one peer that stops reading must not hold back the replies to all the others, nor
        /// grow the queue without limit; replies are safe to lose — agents re-send).
        case drop
    }

    public let messages: ZMQInbox
    private let state: NIOLockedState
    private let wakeFD: Int32
    private let thread: LoopThread

    /// - Parameters:
    ///   - inboundLimits: how much `messages` holds before the loop stops reading the socket.
    ///   - whenPeerFull: what to do with a message whose peer's queue is full.
    ///   - configure: runs on the loop's thread; creates, configures, binds or connects the socket.
    ///   - onSendFailure: called on the loop's thread when a queued message is refused
    ///     (e.g. a ROUTER peer that went away); the message is dropped afterwards.
    public init(
        name: String,
        context: ZMQContext,
        inboundLimits: ZMQInbox.Limits = ZMQInbox.Limits(),
        whenPeerFull: WhenPeerFull = .wait,
        configure: @escaping @Sendable (ZMQContext) throws -> ZMQSocket,
        onSendFailure: @escaping @Sendable (SendFailure) -> Void = { _ in }
    ) throws {
        let fd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fd >= 0 else { throw ZMQError(errno: errno, operation: "eventfd") }
        self.wakeFD = fd
        let state = NIOLockedState()
        self.state = state
        // Room again in a full inbox: wake the poll so the loop reads the socket again.
        let inbox = ZMQInbox(limits: inboundLimits, onRoom: { Self.wake(fd, state: state) })
        self.messages = inbox
        let started = StartSignal()
        self.thread = LoopThread(
            name: name, context: context, wakeFD: fd, state: state, inbox: inbox, whenPeerFull: whenPeerFull,
            configure: configure, onSendFailure: onSendFailure, started: started)
        thread.start()
        if let error = started.wait() {
            state.withLock { $0.closed = true }
            Glibc.close(fd)
            inbox.finish()
            throw error
        }
    }

    /// Queues a message for sending; returns at once. Safe from any thread.
    public func send(_ frames: [[UInt8]]) {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.outbound.append(frames)
            return true
        }
        if accepted { wake() }
    }

    /// Number of messages queued and not yet handed to libzmq (waiting for the loop's thread,
    /// or held by it while libzmq pushes back).
    public var pendingSendCount: Int { state.withLock { $0.outbound.count + $0.heldByLoop } }

    /// Stops the loop, closes the socket on its own thread and waits for the thread to end.
    public func stop() {
        let already = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        if already { return }
        wake()
        thread.join()
        // Under the lock, so a late wake from the inbox never writes to a closed (or reused) fd.
        state.withLock { state in
            state.closed = true
            Glibc.close(wakeFD)
        }
    }

    private func wake() { Self.wake(wakeFD, state: state) }

    private static func wake(_ fd: Int32, state: NIOLockedState) {
        state.withLock { state in
            guard !state.closed else { return }
            var one: UInt64 = 1
            _ = Glibc.write(fd, &one, 8)
        }
    }
}

struct LoopState {
    var outbound: [[[UInt8]]] = []
    /// Taken from `outbound` by the loop's thread and not yet accepted by libzmq.
    var heldByLoop = 0
    var stopping = false
    /// The wake-up eventfd is closed.
    var closed = false
}

/// A small mutex-protected box, so the module needs no NIO.
final class NIOLockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var value = LoopState()
    func withLock<T>(_ body: (inout LoopState) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

final class StartSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    private var error: (any Error)?
    func signal(_ error: (any Error)?) {
        condition.lock()
        self.error = error
        done = true
        condition.broadcast()
        condition.unlock()
    }
    func wait() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return error
    }
}

final class LoopThread: @unchecked Sendable {
    private let name: String
    private let context: ZMQContext
    private let wakeFD: Int32
    private let state: NIOLockedState
    private let inbox: ZMQInbox
    private let whenPeerFull: ZMQSocketLoop.WhenPeerFull
    private let configure: @Sendable (ZMQContext) throws -> ZMQSocket
    private let onSendFailure: @Sendable (ZMQSocketLoop.SendFailure) -> Void
    private let started: StartSignal
    private let finished = StartSignal()

    init(
        name: String, context: ZMQContext, wakeFD: Int32, state: NIOLockedState,
        inbox: ZMQInbox, whenPeerFull: ZMQSocketLoop.WhenPeerFull,
        configure: @escaping @Sendable (ZMQContext) throws -> ZMQSocket,
        onSendFailure: @escaping @Sendable (ZMQSocketLoop.SendFailure) -> Void, started: StartSignal
    ) {
        self.name = name
        self.context = context
        self.wakeFD = wakeFD
        self.state = state
        self.inbox = inbox
        self.whenPeerFull = whenPeerFull
        self.configure = configure
        self.onSendFailure = onSendFailure
        self.started = started
    }

    func start() {
        let thread = Thread { [self] in
            self.run()
            self.finished.signal(nil)
        }
        thread.name = name
        thread.start()
    }

    func join() { _ = finished.wait() }

    private func run() {
        let socket: ZMQSocket
        do {
            socket = try configure(context)
        } catch {
            started.signal(error)
            return
        }
        started.signal(nil)
        var pending: [[[UInt8]]] = []
        while true {
            let stopping = state.withLock { state -> Bool in
                pending.append(contentsOf: state.outbound)
                state.outbound.removeAll(keepingCapacity: true)
                state.heldByLoop = pending.count
                return state.stopping
            }
            if stopping { break }
            // Hand queued messages to libzmq until it pushes back.
            var sent = 0
            sendLoop: while sent < pending.count {
                do {
                    if try socket.send(pending[sent], dontWait: true) {
                        sent += 1
                    } else if case .drop = whenPeerFull {
                        onSendFailure(.peerFull(frames: pending[sent]))
                        sent += 1
                    } else {
                        break sendLoop
                    }
                } catch let error as ZMQError {
                    if error.isContextTerminated { pending.removeAll(); break sendLoop }
                    onSendFailure(error.isHostUnreachable ? .hostUnreachable(frames: pending[sent]) : .failed(error))
                    sent += 1
                } catch {
                    sent += 1
                }
            }
            pending.removeFirst(sent)
            let held = pending.count
            state.withLock { $0.heldByLoop = held }
            let wantWrite: ZMQPollEvents = pending.isEmpty ? [] : .writable
            // A full inbox: leave what arrives in libzmq (bounded by its high-water mark) until
            // the consumer takes some and wakes us.
            let wantRead: ZMQPollEvents = inbox.isFull ? [] : .readable
            let ready: [ZMQPollEvents]
            do {
                ready = try ZMQPoller.poll(
                    [.socket(socket, wantRead.union(wantWrite)), .fileDescriptor(wakeFD, .readable)],
                    timeoutMilliseconds: pending.isEmpty ? 1000 : 10)
            } catch {
                break
            }
            if ready[1].contains(.readable) {
                var counter: UInt64 = 0
                _ = Glibc.read(wakeFD, &counter, 8)
            }
            if ready[0].contains(.readable) {
                // Drain what is waiting, but bounded, so outbound acks are not starved.
                for _ in 0..<256 {
                    guard !inbox.isFull, let message = try? socket.receive(dontWait: true) else { break }
                    inbox.deliver(message)
                }
            }
        }
        socket.close(lingerMilliseconds: 0)
        inbox.finish()
    }
}
