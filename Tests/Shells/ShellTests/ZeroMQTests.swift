import TestSupport
import Foundation
import Testing
import ZeroMQ

/// Our wrapper over libzmq: messages arrive whole, the ROUTER refuses (rather than drops) sends
/// to unknown peers, and CURVE keys are real.
@Suite struct ZeroMQTests {
    @Test func libzmqHasCurve() {
        #expect(ZMQContext.version.major == 4)
        #expect(ZMQContext.has("curve"))
    }

    @Test func multipartMessagesRoundTripLargeAndEmptyFrames() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let endpoint = "inproc://roundtrip-\(UUID().uuidString)"
        let server = try ZMQSocket(context: context, type: .router)
        try server.setRouterMandatory(true)
        try server.bind(endpoint)
        let client = try ZMQSocket(context: context, type: .dealer)
        try client.setRoutingID("client-1")
        try client.connect(endpoint)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try client.send([[1, 2, 3], [], big]))
        let received = try #require(try server.receive())
        #expect(received.frames.count == 4)
        #expect(received.frames[0] == Array("client-1".utf8))
        #expect(received.frames[1] == [1, 2, 3])
        #expect(received.frames[2] == [])
        #expect(received.frames[3] == big)
        #expect(received.userID == nil)
        #expect(try server.receive(dontWait: true) == nil)
        client.close()
        server.close()
    }

    @Test func aMandatoryRouterRefusesUnknownPeersInsteadOfDroppingSilently() throws {
        let context = try ZMQContext()
        defer { context.terminate() }
        let server = try ZMQSocket(context: context, type: .router)
        try server.setRouterMandatory(true)
        try server.bind("inproc://mandatory-\(UUID().uuidString)")
        #expect {
            try server.send([Array("nobody".utf8), [1]], dontWait: true)
        } throws: { error in
            (error as? ZMQError)?.isHostUnreachable == true
        }
        server.close()
    }

    @Test func curveKeysAreZ85AndThePublicKeyFollowsFromTheSecret() throws {
        let pair = try CurveKeyPair.generate()
        #expect(pair.publicKey.count == 40)
        #expect(pair.secretKey.count == 40)
        #expect(try CurveKeyPair.publicKey(forSecretKey: pair.secretKey) == pair.publicKey)
        #expect(try CurveKeyPair.generate() != pair)
        #expect(CurveKeyPair.z85([UInt8](repeating: 0, count: 31)) == nil)
        #expect(CurveKeyPair.z85([UInt8](repeating: 0, count: 32))?.count == 40)
    }

    @Test func theSocketLoopBridgesThreadsBothWays() async throws {
        let context = try ZMQContext()
        let endpoint = "tcp://127.0.0.1:\(TestPaths.freePort())"
        let server = try ZMQSocketLoop(name: "test-router", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .router)
            try socket.setRouterMandatory(true)
            try socket.bind(endpoint)
            return socket
        }
        let client = try ZMQSocketLoop(name: "test-dealer", context: context) { context in
            let socket = try ZMQSocket(context: context, type: .dealer)
            try socket.setRoutingID("loop-client")
            try socket.connect(endpoint)
            return socket
        }
        // Many senders at once: the loop serialises them onto its own thread.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<100 { group.addTask { client.send([[UInt8(i)]]) } }
        }
        var seen: Set<UInt8> = []
        var serverMessages = server.messages.makeAsyncIterator()
        while seen.count < 100, let message = await serverMessages.next() {
            seen.insert(message.frames[1][0])
            server.send([message.frames[0], [0xAC, message.frames[1][0]]])
        }
        #expect(seen.count == 100)
        var replies = 0
        var clientMessages = client.messages.makeAsyncIterator()
        while replies < 100, let reply = await clientMessages.next() {
            #expect(reply.frames[0][0] == 0xAC)
            replies += 1
        }
        #expect(replies == 100)
        client.stop()
        server.stop()
        context.terminate()
    }
}
