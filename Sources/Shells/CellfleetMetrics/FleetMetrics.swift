import Metrics
import Prometheus

/// The process's Prometheus registry: swift-metrics' counters, gauges and timers of every shell
/// (ingest, detection, delivery, the scheduler) land here once `bootstrap()` has run, and
/// `/metrics` on the `--http` listener (coordinator and `cellfleet api`) renders it.
public enum FleetMetrics {
    /// The registry every metric of this process is made in.
    public static let registry = PrometheusCollectorRegistry()

    /// Installs the catalogue's factory as swift-metrics' backend and registers every unlabelled
    /// metric of `FleetMetric.catalogue`, so a counter reads 0 before its first increment.
    /// swift-metrics allows a backend once per process; a second call (the coordinator with
    /// `--http` inside `demo`) does nothing.
    public static func bootstrap() {
        bootstrapOnce
    }

    private static let bootstrapOnce: Void = {
        MetricsSystem.bootstrap(FleetMetricsFactory(registry: registry, catalogue: FleetMetric.catalogue))
        registerAll()
    }()

    /// Makes every unlabelled metric of the catalogue in the registry (at 0). Labelled ones get
    /// their series when their label values are known: a receiver's when the delivery service
    /// starts, an agent's when it is first heard, an alert rule's when the database has one.
    public static func registerAll() {
        let factory = FleetMetricsFactory(registry: registry, catalogue: FleetMetric.catalogue)
        for metric in FleetMetric.catalogue where metric.labels.isEmpty {
            switch metric.kind {
            case .counter: _ = factory.makeCounter(label: metric.name, dimensions: [])
            case .gauge: _ = factory.makeRecorder(label: metric.name, dimensions: [], aggregate: false)
            case .histogram: _ = factory.makeTimer(label: metric.name, dimensions: [])
            }
        }
    }

    /// The Prometheus text exposition format (version 0.0.4) of every metric made so far.
    public static func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
