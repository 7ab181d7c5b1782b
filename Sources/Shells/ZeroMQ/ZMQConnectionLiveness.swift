import CZMQ

/// How our sockets notice a dead TCP connection: by the kernel's TCP keepalive, never by ZMTP
/// heartbeats.
///
/// A ZMTP heartbeat is a message: it is read only when the receiver reads. Our coordinator stops
/// reading a connection on purpose when its queue is full (back-pressure, `ZMQSocketLoop`), and
/// then libzmq's heartbeat timeout (or the TTL the peer asked for) fires and cuts the connection,
/// losing what was in flight — measured with libzmq 4.3: a reader paused for 12 s had its
/// connection cut every 4 s and lost 44 of 60 messages, where with keepalive it lost none and was
/// never cut. It also cuts a connection that is busy carrying one message longer than the
/// timeout (libzmq issue 2709: a 32 MiB batch over a 10 Mbit/s link takes 27 s). Keepalive probes
/// are answered by the peer's kernel whether or not its application reads, so a connection that is
/// only pushed back on stays up, and a dead peer is still found: an idle connection is closed
/// after `idleSeconds + intervalSeconds × probes` of silence from the peer's kernel.
///
/// `ZMQ_TCP_MAXRT` (TCP_USER_TIMEOUT) is not set: Linux applies it to a receiver that advertises
/// a zero window, which is exactly back-pressure (measured: cut after 3.6 s with 3 s). A peer
/// host that vanishes while data to it is unacknowledged is found by TCP's retransmission limit
/// (`tcp_retries2`, about 15 min) or by its first packet after a reboot (a reset); until then the
/// agent keeps spooling, so nothing is lost (docs/delivery.md §3).
public enum ZMQConnectionLiveness {
    public static let idleSeconds: Int32 = 10
    public static let intervalSeconds: Int32 = 5
    public static let probes: Int32 = 3
}

extension ZMQSocket {
    /// Detects dead connections by TCP keepalive and turns ZMTP heartbeats off (their defaults
    /// are off; set explicitly, since a ZMTP TTL asked for by either side cuts a pushed-back
    /// connection).
    public func detectDeadConnectionsByKeepalive(
        idleSeconds: Int32 = ZMQConnectionLiveness.idleSeconds,
        intervalSeconds: Int32 = ZMQConnectionLiveness.intervalSeconds,
        probes: Int32 = ZMQConnectionLiveness.probes
    ) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, 0)
        try setOption(ZMQ_HEARTBEAT_TTL, 0)
        try setOption(ZMQ_TCP_KEEPALIVE, 1)
        try setOption(ZMQ_TCP_KEEPALIVE_IDLE, idleSeconds)
        try setOption(ZMQ_TCP_KEEPALIVE_INTVL, intervalSeconds)
        try setOption(ZMQ_TCP_KEEPALIVE_CNT, probes)
    }
}
