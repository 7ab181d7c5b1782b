import CoreMetrics
import Prometheus

/// swift-metrics' backend over the process's Prometheus registry, which takes each metric's help
/// text and buckets from `FleetMetric.catalogue`. swift-prometheus' own factory registers
/// everything with an empty help text, and its registry stops the process when one name is
/// registered with two help texts: so the catalogue's registration at start-up and the code's
/// `Counter(label:)` must go through this one factory, which gives both the same.
struct FleetMetricsFactory: MetricsFactory {
    let registry: PrometheusCollectorRegistry
    private let byName: [String: FleetMetric]

    init(registry: PrometheusCollectorRegistry, catalogue: [FleetMetric]) {
        self.registry = registry
        byName = Dictionary(catalogue.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The whole name as `metricName` (no unit suffix is added: the catalogue's names carry it).
    private func descriptor(_ label: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: label, unitName: "", helpText: byName[label]?.help ?? "")
    }

    private func durationBuckets(_ label: String) -> [Duration] {
        let seconds: [Double]
        if case .histogram(let buckets)? = byName[label]?.kind { seconds = buckets } else { seconds = FleetMetric.latencyBucketsSeconds }
        return seconds.map { Duration.nanoseconds(Int64(($0 * 1e9).rounded())) }
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(descriptor: descriptor(label), labels: dimensions) }
        let buckets: [Double]
        if case .histogram(let seconds)? = byName[label]?.kind { buckets = seconds } else { buckets = FleetMetric.latencyBucketsSeconds }
        return registry.makeValueHistogram(descriptor: descriptor(label), labels: dimensions, buckets: buckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        registry.makeDurationHistogram(descriptor: descriptor(label), labels: dimensions, buckets: durationBuckets(label))
    }

    func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        switch handler {
        case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
        case let histogram as Histogram<Double>: registry.unregisterValueHistogram(histogram)
        default: break
        }
    }

    func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    func destroyTimer(_ handler: any TimerHandler) {
        if let histogram = handler as? Histogram<Duration> { registry.unregisterDurationHistogram(histogram) }
    }
}
