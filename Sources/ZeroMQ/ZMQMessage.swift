/// One multipart message as received: its frames, and the authenticated identity that the ZAP
/// handler attached to the connection (the `User-Id` property), if any.
public struct ZMQMessage: Sendable {
    public var frames: [[UInt8]]
    public var userID: String?

    public init(frames: [[UInt8]], userID: String? = nil) {
        self.frames = frames
        self.userID = userID
    }
}
