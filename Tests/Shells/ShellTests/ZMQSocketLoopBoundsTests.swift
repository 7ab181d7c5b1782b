import TestSupport
import Foundation
import Testing
import ZeroMQ

/// The socket loop holds a bounded amount either way. Inbound: when its consumer falls behind,
/// the loop stops reading, libzmq's high-water marks fill and the sender is pushed back — nothing
/// buffered without limit, nothing lost. Outbound (a ROUTER under `.drop`): a peer that stops
/// reading loses its replies instead of holding back everyone else's.
@Suite struct ZMQSocketLoopBoundsTests {
    struct Pair {
        let context: ZMQContext
        let server: ZMQSocketLoop
        let client: ZMQSocketLoop

        init(limits: ZMQInbox.Limits) throws {
            context = try ZMQContext()
            let endpoint = "inproc://inbox-\(UUID().uuidString)"
            server = try ZMQSocketLoop(name: "inbox-router", context: context, inboundLimits: limits) { context in
                let socket = try ZMQSocket(context: context, type: .router)
                try socket.setRouterMandatory(true)
                try socket.setHighWaterMarks(send: 10, receive: 10)
                try socket.bind(endpoint)
                return socket
            }
            client = try ZMQSocketLoop(name: "inbox-dealer", context: context) { context in
                let socket = try ZMQSocket(context: context, type: .dealer)
                try socket.setRoutingID("inbox-client")
                try socket.setHighWaterMarks(send: 10, receive: 10)
                try socket.connect(endpoint)
                return socket
            }
        }

        func stop() {
            client.stop()
            server.stop()
            context.terminate()
        }
    }

    static func message(_ index: Int, bytes: Int) -> [[UInt8]] {
        [withUnsafeBytes(of: UInt32(index).bigEndian, Array.init) + [UInt8](repeating: 0x5A, count: bytes)]
    }

    static func index(_ message: ZMQMessage) -> Int {
        Int(message.frames[message.frames.count - 1].prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    @Test func aConsumerThatFallsBehindPushesBackOnTheSenderAndLosesNothing() async throws {
        let pair = try Pair(limits: ZMQInbox.Limits(messages: 4, bytes: 1 << 30))
        defer { pair.stop() }
        let total = 500
        for index in 0..<total { pair.client.send(Self.message(index, bytes: 1000)) }
        // Nobody reads: the inbox fills to its bound, then libzmq's pipes, then the sender's
        // queue holds the rest (not handed to libzmq, which would block).
        let backedUp = await eventually(timeoutSeconds: 10) { pair.client.pendingSendCount > total - 100 && pair.server.messages.count == 4 }
        #expect(backedUp, "sender still holds \(pair.client.pendingSendCount), inbox \(pair.server.messages.count)")
        try await Task.sleep(for: .milliseconds(200))
        #expect(pair.server.messages.count == 4)
        #expect(pair.server.messages.byteCount == 4 * (4 + 1000 + "inbox-client".utf8.count))

        // Catching up, every message arrives, in order.
        var received: [Int] = []
        for await message in pair.server.messages {
            received.append(Self.index(message))
            #expect(pair.server.messages.count <= 4)
            if received.count == total { break }
        }
        #expect(received == Array(0..<total))
        #expect(pair.client.pendingSendCount == 0)
    }

    @Test func theBoundIsAlsoInBytesButALargeMessageStillGetsThrough() async throws {
        let pair = try Pair(limits: ZMQInbox.Limits(messages: 1000, bytes: 10_000))
        defer { pair.stop() }
        pair.client.send(Self.message(0, bytes: 50_000))
        for index in 1...50 { pair.client.send(Self.message(index, bytes: 1000)) }
        let arrived = await eventually(timeoutSeconds: 10) { pair.server.messages.count >= 1 }
        #expect(arrived)
        try await Task.sleep(for: .milliseconds(300))
        // The large one alone fills it.
        #expect(pair.server.messages.count == 1)
        var iterator = pair.server.messages.makeAsyncIterator()
        let first = try #require(await iterator.next())
        #expect(Self.index(first) == 0 && first.frames[1].count == 50_004)
        let refilled = await eventually(timeoutSeconds: 10) { pair.server.messages.count >= 9 }
        #expect(refilled)
        try await Task.sleep(for: .milliseconds(300))
        #expect(pair.server.messages.byteCount < 10_000 + 1100)
        var received = [0]
        while received.count < 51, let message = await iterator.next() { received.append(Self.index(message)) }
        #expect(received == Array(0...50))
    }

    @Test func aCancelledWaitLosesNoMessage() async throws {
        let pair = try Pair(limits: ZMQInbox.Limits())
        defer { pair.stop() }
        let inbox = pair.server.messages
        let waiting = Task { await inbox.next() }
        try await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(await waiting.value == nil)
        pair.client.send(Self.message(7, bytes: 10))
        var iterator = inbox.makeAsyncIterator()
        let message = try #require(await iterator.next())
        #expect(Self.index(message) == 7)
    }

    @Test func aPeerThatStopsReadingDoesNotHoldBackRepliesToTheOthers() async throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let endpoint = "inproc://full-peer-\(UUID().uuidString)"
        let dropped = Counter()
        let server = try ZMQSocketLoop(name: "full-router", context: context, whenPeerFull: .drop, configure: { context in
            let socket = try ZMQSocket(context: context, type: .router)
            try socket.setRouterMandatory(true)
            try socket.setHighWaterMarks(send: 10, receive: 10)
            try socket.bind(endpoint)
            return socket
        }, onSendFailure: { failure in
            if case .peerFull = failure { dropped.increment() }
        })
        func peer(_ id: String, inbox: ZMQInbox.Limits) throws -> ZMQSocketLoop {
            try ZMQSocketLoop(name: id, context: context, inboundLimits: inbox) { context in
                let socket = try ZMQSocket(context: context, type: .dealer)
                try socket.setRoutingID(id)
                try socket.setHighWaterMarks(send: 10, receive: 10)
                try socket.connect(endpoint)
                return socket
            }
        }
        let stuck = try peer("stuck", inbox: ZMQInbox.Limits(messages: 1))
        let reader = try peer("reader", inbox: ZMQInbox.Limits())
        defer { stuck.stop(); reader.stop(); server.stop() }
        stuck.send([[1]])
        reader.send([[2]])
        var inbound = server.messages.makeAsyncIterator()
        _ = await inbound.next()
        _ = await inbound.next()

        for index in 0..<200 { server.send([Array("stuck".utf8), Self.message(index, bytes: 100)[0]]) }
        server.send([Array("reader".utf8), Self.message(9, bytes: 10)[0]])
        var replies = reader.messages.makeAsyncIterator()
        let reply = await replies.next()
        #expect(reply.map(Self.index) == 9)
        let drained = await eventually(timeoutSeconds: 5) { server.pendingSendCount == 0 }
        #expect(drained)
        #expect(dropped.value > 100, "replies to the peer that does not read are dropped, not queued: \(dropped.value)")
    }
}

/// Counts from any thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
