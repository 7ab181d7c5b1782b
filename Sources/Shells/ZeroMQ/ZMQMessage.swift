/// One multipart message as received: its frames, and the authenticated identity that the ZAP
/// handler attached to the connection (the `User-Id` property), if any.
public struct ZMQMessage: Sendable {
    public var frames: [[UInt8]]
    public var userID: String?
    /// The connection's socket descriptor (libzmq's `ZMQ_SRCFD`), so a connection whose key was
    /// revoked can be cut (`ZMQConnectionCut`); nil for inproc or when libzmq does not say.
    public var sourceFileDescriptor: Int32?

    public init(frames: [[UInt8]], userID: String? = nil, sourceFileDescriptor: Int32? = nil) {
        self.frames = frames
        self.userID = userID
        self.sourceFileDescriptor = sourceFileDescriptor
    }
}
