import Metrics
import Prometheus

/// The process's Prometheus registry: swift-metrics' counters, gauges and timers of every shell
/// (ingest, detection, delivery, the scheduler) land here once `bootstrap()` has run, and
/// `/metrics` on the `--http` listener (coordinator and `cellfleet api`) renders it.
public enum FleetMetrics {
    /// The registry every metric of this process is made in.
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus factory as swift-metrics' backend. swift-metrics allows this once
    /// per process; a second call (the coordinator with `--http` inside `demo`) does nothing.
    public static func bootstrap() {
        bootstrapOnce
    }

    private static let bootstrapOnce: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()

    /// The Prometheus text exposition format (version 0.0.4) of every metric made so far.
    public static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
