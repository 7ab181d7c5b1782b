extension Duration {
    /// As a number of seconds, for durations in logs, summaries, rates and benchmarks.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
