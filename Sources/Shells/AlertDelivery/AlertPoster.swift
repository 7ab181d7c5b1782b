import AlertRouting
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// POSTs a JSON body to a receiver and tells what came of it; never throws (every failure is an
/// attempt's outcome, recorded on the row).
struct AlertPoster: Sendable {
    let http: HTTPClient
    let requestTimeoutSeconds: Double

    struct Answer: Sendable {
        var result: DeliveryAttemptResult
        /// For `last_error`: the status line and the start of the body, or the error.
        var detail: String
        var status: Int? {
            if case .response(let status) = result { return status }
            return nil
        }
    }

    /// `X-Cellfleet-Signature: sha256=<hex>` of the exact body bytes, when the receiver has a secret.
    static func signature(of body: [UInt8], secret: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
    }

    func post(_ body: String, to receiver: AlertReceiver, idempotencyKey: String?) async -> Answer {
        let bytes = Array(body.utf8)
        var request = HTTPClientRequest(url: receiver.postURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "cellfleet")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let secret = receiver.secret {
            request.headers.add(name: "X-Cellfleet-Signature", value: Self.signature(of: bytes, secret: secret))
        }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(requestTimeoutSeconds * 1000)))
            let answer = try await response.body.collect(upTo: 64 << 10)
            let status = Int(response.status.code)
            let text = String(buffer: answer).prefix(500)
            return Answer(result: .response(status: status), detail: "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)"))
        } catch {
            return Answer(result: .transportError, detail: "\(error)")
        }
    }
}
