#if canImport(Glibc)
import Glibc
#endif

/// Cuts one live connection of a socket, identified by the descriptor its messages came from.
///
/// libzmq has no "disconnect this peer" on a ROUTER. Shutting the TCP descriptor down (never
/// closing it: libzmq owns it) makes libzmq see the peer hang up and drop the session; the peer
/// must then handshake again, which the ZAP handler can refuse. The descriptor is libzmq's
/// `ZMQ_SRCFD`: if the connection has already gone and the number been reused, the cut hits a
/// newer connection, which just reconnects; it can never let anything in.
public enum ZMQConnectionCut {
    @discardableResult
    public static func cut(fileDescriptor: Int32) -> Bool {
        shutdown(fileDescriptor, Int32(SHUT_RDWR)) == 0
    }
}
