import CZMQ
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The ZeroMQ Authentication Protocol (RFC 27) handler of one context.
///
/// A CURVE server with no ZAP handler accepts *any* client key (libzmq's "Stonehouse" fall-
/// through), so the handler must be bound at `inproc://zeromq.zap.01` in the server's context
/// before the server socket binds. It runs on its own thread because libzmq holds every handshake
/// until it answers: `decide` must be fast and in-memory.
/// (docs/delivery.md §7.2, §9.9.)
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    public struct Request: Sendable {
        public var domain: String
        /// The peer's IP address as text.
        public var address: String
        public var mechanism: String
        /// The client's long-term public key, Z85, for CURVE; nil otherwise.
        public var curvePublicKey: String?
    }

    public enum Decision: Sendable, Equatable {
        /// Accepted; `userID` arrives on every message of the connection as `User-Id`.
        case allow(userID: String)
        case deny(reason: String)
    }

    private let stopFlag = ZAPStopFlag()
    private let finished = StartSignal()

    /// Binds the handler and returns once it is bound (or throws if it could not bind).
    public init(context: ZMQContext, decide: @escaping @Sendable (Request) -> Decision) throws {
        let started = StartSignal()
        let stopFlag = self.stopFlag
        let finished = self.finished
        let thread = Thread {
            Self.run(context: context, decide: decide, started: started, stopFlag: stopFlag)
            finished.signal(nil)
        }
        thread.name = "zap-handler"
        thread.start()
        if let error = started.wait() { throw error }
    }

    /// Stops answering and closes the socket; call before terminating the context.
    public func stop() {
        guard stopFlag.set() else { return }
        _ = finished.wait()
    }

    private static func run(context: ZMQContext, decide: @Sendable (Request) -> Decision, started: StartSignal, stopFlag: ZAPStopFlag) {
        let socket: ZMQSocket
        do {
            socket = try ZMQSocket(context: context, type: .rep)
            try socket.setLinger(milliseconds: 0)
            try socket.bind(endpoint)
        } catch {
            started.signal(error)
            return
        }
        started.signal(nil)
        while !stopFlag.isSet {
            guard let ready = try? ZMQPoller.poll([.socket(socket, .readable)], timeoutMilliseconds: 200) else { break }
            guard ready[0].contains(.readable) else { continue }
            guard let message = try? socket.receive(dontWait: true) else { continue }
            let reply = answer(message.frames, decide: decide)
            _ = try? socket.send(reply)
        }
        socket.close(lingerMilliseconds: 0)
    }

    /// The reply frames for one request: version, request id, status code and text, user id and
    /// (empty) metadata.
    static func answer(_ frames: [[UInt8]], decide: (Request) -> Decision) -> [[UInt8]] {
        func text(_ index: Int) -> String { index < frames.count ? String(decoding: frames[index], as: UTF8.self) : "" }
        let requestID = frames.count > 1 ? frames[1] : []
        func reply(_ code: String, _ status: String, _ userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(code.utf8), Array(status.utf8), Array(userID.utf8), []]
        }
        guard frames.count >= 6, text(0) == "1.0" else { return reply("500", "malformed ZAP request") }
        let mechanism = text(5)
        var key: String?
        if mechanism == "CURVE" {
            guard frames.count == 7, let z85 = CurveKeyPair.z85(frames[6]) else { return reply("400", "malformed CURVE credentials") }
            key = z85
        }
        let request = Request(domain: text(2), address: text(3), mechanism: mechanism, curvePublicKey: key)
        switch decide(request) {
        case .allow(let userID): return reply("200", "OK", userID)
        case .deny(let reason): return reply("400", reason)
        }
    }
}

final class ZAPStopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    /// Sets the flag; false if it was already set.
    func set() -> Bool { lock.withLock { defer { value = true }; return !value } }
}
