import Foundation

/// The messages a `ZMQSocketLoop` has received and its consumer has not yet taken, bounded in
/// messages and bytes. When it is full the loop stops reading its socket, so libzmq's receive
/// high-water mark, then TCP, then the peer's send high-water mark push back on the sender —
/// instead of the process buffering whatever a peer sends.
///
/// One consumer at a time iterates it; `next()` returns nil once the loop has stopped and the
/// rest is taken, or when the waiting task is cancelled (nothing is lost: a later `next()`
/// returns what arrived meanwhile).
public final class ZMQInbox: AsyncSequence, @unchecked Sendable {
    public typealias Element = ZMQMessage
    public typealias Failure = Never

    public struct Limits: Sendable, Equatable {
        public var messages: Int
        public var bytes: Int
        /// A single message larger than `bytes` is still taken when the inbox is empty.
        public init(messages: Int = 1024, bytes: Int = 64 << 20) {
            self.messages = Swift.max(1, messages)
            self.bytes = Swift.max(1, bytes)
        }
    }

    private struct State {
        var messages: [ZMQMessage] = []
        var head = 0
        var bytes = 0
        var finished = false
        var waiters: [(id: UInt64, continuation: CheckedContinuation<ZMQMessage?, Never>)] = []
        var nextWaiterID: UInt64 = 0

        var count: Int { messages.count - head }
    }

    public let limits: Limits
    private let lock = NSLock()
    private var state = State()  // guarded by `lock`
    /// Tells the loop's thread there is room again (it may have stopped reading).
    private let onRoom: @Sendable () -> Void

    init(limits: Limits, onRoom: @escaping @Sendable () -> Void) {
        self.limits = limits
        self.onRoom = onRoom
    }

    /// Messages waiting for the consumer.
    public var count: Int { lock.withLock { state.count } }
    /// Their bytes (all frames).
    public var byteCount: Int { lock.withLock { state.bytes } }

    /// Whether the loop should stop reading its socket for now.
    var isFull: Bool { lock.withLock { Self.full(state, limits) } }

    private static func full(_ state: State, _ limits: Limits) -> Bool {
        state.count >= limits.messages || (state.count > 0 && state.bytes >= limits.bytes)
    }

    static func size(of message: ZMQMessage) -> Int {
        message.frames.reduce(0) { $0 + $1.count }
    }

    /// Called by the loop's thread; the loop checks `isFull` before it reads.
    func deliver(_ message: ZMQMessage) {
        let waiter: CheckedContinuation<ZMQMessage?, Never>? = lock.withLock {
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.messages.append(message)
            state.bytes += Self.size(of: message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    /// No more messages will come (the loop stopped).
    func finish() {
        let waiters = lock.withLock {
            state.finished = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    /// The next message, waiting for one if need be.
    public func next() async -> ZMQMessage? {
        if let ready = take() { return ready }
        let id = lock.withLock {
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                enum Now { case wait, message(ZMQMessage, wasFull: Bool), end }
                // A message, the end or a cancellation may have come between `take()` and here.
                let now: Now = lock.withLock {
                    if let taken = takeLocked() { return .message(taken.message, wasFull: taken.wasFull) }
                    if state.finished || Task.isCancelled { return .end }
                    state.waiters.append((id, continuation))
                    return .wait
                }
                switch now {
                case .wait:
                    break
                case .end:
                    continuation.resume(returning: nil)
                case .message(let message, let wasFull):
                    if wasFull { onRoom() }
                    continuation.resume(returning: message)
                }
            }
        } onCancel: {
            let waiter = lock.withLock { () -> CheckedContinuation<ZMQMessage?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    private func take() -> ZMQMessage? {
        let taken = lock.withLock { takeLocked() }
        if let taken, taken.wasFull { onRoom() }
        return taken?.message
    }

    /// Takes the oldest message; the caller holds `lock`.
    private func takeLocked() -> (message: ZMQMessage, wasFull: Bool)? {
        guard state.count > 0 else { return nil }
        let wasFull = Self.full(state, limits)
        let message = state.messages[state.head]
        // Let go of the frames now, not when the slot is compacted away.
        state.messages[state.head] = ZMQMessage(frames: [])
        state.head += 1
        state.bytes -= Self.size(of: message)
        if state.head == state.messages.count {
            state.messages.removeAll(keepingCapacity: true)
            state.head = 0
        } else if state.head >= 1024 && state.head * 2 >= state.messages.count {
            state.messages.removeFirst(state.head)
            state.head = 0
        }
        return (message, wasFull)
    }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let inbox: ZMQInbox
        public mutating func next() async -> ZMQMessage? { await inbox.next() }
        public mutating func next(isolation actor: isolated (any Actor)?) async -> ZMQMessage? { await inbox.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: self) }
}
