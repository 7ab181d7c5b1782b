import CZMQ

/// A CURVE key pair as Z85 text (40 characters each), the form libzmq and our key files use.
public struct CurveKeyPair: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    public static func generate() throws -> CurveKeyPair {
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_keypair(&publicKey, &secretKey) != 0 { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: z85Text(publicKey), secretKey: z85Text(secretKey))
    }

    /// Derives the public key from a Z85 secret key.
    public static func publicKey(forSecretKey secretKey: String) throws -> String {
        var publicKey = [CChar](repeating: 0, count: 41)
        if zmq_curve_public(&publicKey, secretKey) != 0 { throw ZMQError.last("zmq_curve_public") }
        return z85Text(publicKey)
    }

    /// Z85 text of a 32-byte binary key (as a ZAP request carries it).
    public static func z85(_ key: [UInt8]) -> String? {
        guard key.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        guard key.withUnsafeBufferPointer({ zmq_z85_encode(&text, $0.baseAddress, 32) }) != nil else { return nil }
        return z85Text(text)
    }
}

/// The 40 characters before the terminating NUL of a Z85 buffer.
private func z85Text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
