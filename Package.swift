// swift-tools-version: 6.2
import PackageDescription

/// The folders tell the architecture (docs/architecture.md):
/// - `Sources/Core/<Module>`: the pure domain and protocol rules — value types and state machines
///   fed samples or events that return decisions. No network, database or file-system lookups:
///   tested in microseconds, reused by every shell.
/// - `Sources/Shells/<Module>`: the I/O — sockets, the spool, PostgreSQL, processes — as thin
///   services that move bytes between the world and the core.
/// - `Sources/Tools/<Module>`: what only the executable uses — benchmarks (`cellfleet bench …`)
///   and the renderers of its text and JSON outputs — kept out of the core so the core holds the
///   domain values and the tools decide how they are printed and timed.
/// - `Sources/cellfleet`: the one executable; it parses arguments and composes the services.
/// Tests mirror it: `Tests/Core`, `Tests/Shells` (in-process, fast) and `Tests/IntegrationTests`
/// (real processes and databases), so `swift test --skip IntegrationTests` is the inner loop.
/// Property tests of the pure core (x-sheep/swift-property-based).
let propertyBased: Target.Dependency = .product(name: "PropertyBased", package: "swift-property-based")

let package = Package(
    name: "cellfleet",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cellfleet", targets: ["cellfleet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // The HTTP API's server (docs/api.md); its contract is schemas/openapi.yaml, hand-written.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // MARK: pure core
        .target(name: "CellModel", path: "Sources/Core/CellModel"),
        .target(name: "CellDetection", dependencies: ["CellModel"], path: "Sources/Core/CellDetection"),
        .target(name: "CellSimulator", dependencies: ["CellModel"], path: "Sources/Core/CellSimulator"),
        .target(
            name: "CyclerReaders",
            dependencies: ["CellModel", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Sources/Core/CyclerReaders"
        ),
        .target(name: "CellStatistics", dependencies: ["CellModel"], path: "Sources/Core/CellStatistics"),
        .target(
            name: "WireProtocol",
            dependencies: ["CellModel", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Sources/Core/WireProtocol"
        ),
        // The delivery rules of both ends as state machines: what the agent sends and re-sends,
        // what the coordinator stores, acknowledges or refuses.
        .target(name: "DeliveryProtocol", dependencies: ["CellModel", "WireProtocol"], path: "Sources/Core/DeliveryProtocol"),
        // What an alert tells people and when (docs/live-detection.md §4): the Alertmanager and
        // webhook payloads, the retry schedule and the re-post rule, as pure values.
        .target(name: "AlertRouting", dependencies: ["CellModel"], path: "Sources/Core/AlertRouting"),
        // The coordinator's fleet-health rules (F1 test silent, F2 agent lost, F3 clock ahead, F4
        // source file quarantined) and the usual-interval estimator, fed observations and a clock.
        .target(name: "FleetHealth", path: "Sources/Core/FleetHealth"),
        // Samples compacted into exact, bit-packed columnar chunks (issue 16 §4).
        .target(name: "SampleCompaction", path: "Sources/Core/SampleCompaction"),
        // Which queued cell goes on which free channel, and what a study's finished test counts as
        // (docs/scheduling.md): decisions from state, no I/O.
        .target(name: "Scheduling", dependencies: [.product(name: "TOMLKit", package: "TOMLKit")], path: "Sources/Core/Scheduling"),
        // When to read a followed cycler export file and what to make of it (docs/file-sources.md):
        // the follow rules, which files a folder holds, multi-part experiments, the test identity.
        .target(
            name: "FileFollowing", dependencies: ["CellModel", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Core/FileFollowing"
        ),

        // MARK: I/O shells
        .systemLibrary(name: "CZMQ", path: "Sources/Shells/CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZMQ"], path: "Sources/Shells/ZeroMQ"),
        // Where shipped data (schemas, cycler profiles) is looked for: flags, environment,
        // installed share directory, source checkout. The core takes directories as parameters.
        .target(name: "ShippedData", path: "Sources/Shells/ShippedData"),
        .target(
            name: "AgentSpool",
            dependencies: ["WireProtocol", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Shells/AgentSpool"
        ),
        .target(
            name: "EmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Sources/Shells/EmbeddedPostgres"
        ),
        .target(
            name: "CellfleetAgent",
            dependencies: [
                "CellModel", "CellSimulator", "CyclerReaders", "FileFollowing", "WireProtocol", "DeliveryProtocol", "AgentSpool", "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/Shells/CellfleetAgent"
        ),
        .target(
            name: "CellfleetCoordinator",
            dependencies: [
                "CellModel", "CellDetection", "WireProtocol", "DeliveryProtocol", "FleetHealth", "Scheduling", "ZeroMQ", "EmbeddedPostgres", "ShippedData",
                "SampleCompaction",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // For `ConnectionPoolError`, which the pool throws when it cannot connect (DatabaseProblem).
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Shells/CellfleetCoordinator",
            // postgres-nio has an EventLoopFuture overload of `query` that an unused `try await`
            // silently binds to; only a warning says so, and it would let us ACK before COMMIT.
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
        // The durable alert outbox worked by the coordinator: claims due deliveries, POSTs them to
        // Alertmanager and webhooks, records each attempt.
        .target(
            name: "AlertDelivery",
            dependencies: [
                "AlertRouting", "CellModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            path: "Sources/Shells/AlertDelivery",
            // As the coordinator: an unused `try await query` must not compile.
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),

        // Prometheus metrics of a process (docs/metrics.md): swift-metrics' backend and /metrics.
        .target(
            name: "CellfleetMetrics",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Shells/CellfleetMetrics",
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),

        // The HTTP API (`cellfleet api`, docs/api.md): Hummingbird routes under /api/v1 over the
        // database the coordinators write, bearer tokens of people with roles, problem details.
        // Reads only; the writes it allows (ack, resolve) go through the coordinator's AlertRecords.
        .target(
            name: "CellfleetAPI",
            dependencies: [
                "CellfleetCoordinator", "CellfleetReports", "CellfleetMetrics", "CellDetection", "CellModel", "CellStatistics", "Scheduling", "ShippedData",
                "SampleCompaction",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Shells/CellfleetAPI",
            // As the coordinator: an unused `try await query` must not compile.
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),

        // MARK: tools of the executable
        .target(
            name: "CellfleetBenchmarks", dependencies: ["CellModel", "CellDetection", "CyclerReaders", "CellStatistics", "Scheduling"],
            path: "Sources/Tools/CellfleetBenchmarks"
        ),
        .target(
            name: "CellfleetReports", dependencies: ["CellModel", "CellDetection", "CellSimulator", "CyclerReaders", "CellStatistics"],
            path: "Sources/Tools/CellfleetReports"
        ),

        // MARK: the executable
        .executableTarget(
            name: "cellfleet",
            dependencies: [
                "CellModel", "CellDetection", "CellSimulator", "CyclerReaders", "CellStatistics",
                "CellfleetAgent", "CellfleetCoordinator", "EmbeddedPostgres", "ShippedData",
                "CellfleetBenchmarks", "CellfleetReports", "AlertDelivery", "FileFollowing", "Scheduling", "CellfleetAPI", "CellfleetMetrics",
                "SampleCompaction",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "Sources/cellfleet"
        ),

        // MARK: tests
        // Helpers shared by the test targets (paths, free ports, CURVE keys, a manual clock).
        .target(name: "TestSupport", dependencies: ["ZeroMQ"], path: "Tests/TestSupport"),
        .testTarget(name: "CellModelTests", dependencies: ["CellModel", propertyBased], path: "Tests/Core/CellModelTests", exclude: ["Fixtures"]),
        .testTarget(name: "CellSimulatorTests", dependencies: ["CellSimulator", "CellModel", propertyBased], path: "Tests/Core/CellSimulatorTests"),
        .testTarget(
            name: "CellDetectionTests", dependencies: ["CellDetection", "CellSimulator", "CyclerReaders", "CellModel", propertyBased],
            path: "Tests/Core/CellDetectionTests"
        ),
        .testTarget(
            name: "CyclerReadersTests", dependencies: ["CyclerReaders", "CellModel", "TestSupport", propertyBased],
            path: "Tests/Core/CyclerReadersTests", resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "CellStatisticsTests", dependencies: ["CellStatistics", propertyBased],
            path: "Tests/Core/CellStatisticsTests", resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "DeliveryProtocolTests",
            dependencies: ["DeliveryProtocol", "WireProtocol", "CellModel", "TestSupport", propertyBased],
            path: "Tests/Core/DeliveryProtocolTests"
        ),
        .testTarget(
            name: "AlertRoutingTests", dependencies: ["AlertRouting", "CellModel", propertyBased],
            path: "Tests/Core/AlertRoutingTests"
        ),
        .testTarget(name: "FleetHealthTests", dependencies: ["FleetHealth", propertyBased], path: "Tests/Core/FleetHealthTests"),
        .testTarget(name: "SampleCompactionTests", dependencies: ["SampleCompaction", "CellModel", "TestSupport", propertyBased], path: "Tests/Core/SampleCompactionTests"),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", propertyBased], path: "Tests/Core/SchedulingTests"),
        .testTarget(name: "FileFollowingTests", dependencies: ["FileFollowing", "CellModel", propertyBased], path: "Tests/Core/FileFollowingTests"),
        // The tools, on the core's fixtures.
        .testTarget(
            name: "CellfleetReportsTests",
            dependencies: ["CellfleetReports", "CellModel", "CellDetection", "CellSimulator", "CyclerReaders", "CellStatistics", propertyBased],
            path: "Tests/Tools/CellfleetReportsTests"
        ),
        .testTarget(
            name: "CellfleetBenchmarksTests", dependencies: ["CellfleetBenchmarks", "CyclerReaders", "CellStatistics"],
            path: "Tests/Tools/CellfleetBenchmarksTests"
        ),
        // The alert delivery shell's configuration, signature and wake-ups, in-process.
        .testTarget(
            name: "AlertDeliveryTests", dependencies: ["AlertDelivery", "AlertRouting"],
            path: "Tests/Shells/AlertDeliveryTests"
        ),
        .testTarget(name: "ShippedDataTests", dependencies: ["ShippedData"], path: "Tests/Shells/ShippedDataTests"),
        .testTarget(name: "CellfleetAPITests", dependencies: ["CellfleetAPI", propertyBased], path: "Tests/Shells/CellfleetAPITests"),
        // In-process tests of the shells: sockets on loopback, spools in temporary directories.
        .testTarget(
            name: "ShellTests",
            dependencies: [
                "TestSupport", "ZeroMQ", "WireProtocol", "AgentSpool", "CellfleetAgent", "CellfleetCoordinator", "CyclerReaders", "CellfleetMetrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Tests/Shells/ShellTests"
        ),
        // Real processes, PostgreSQL clusters and deploy scripts; skipped by the inner loop.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "TestSupport", "ZeroMQ", "WireProtocol", "DeliveryProtocol", "AgentSpool", "CellfleetAgent",
                "CellfleetCoordinator", "EmbeddedPostgres", "CellModel", "CellSimulator",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/IntegrationTests",
            exclude: ["Python", "Fixtures"]
        ),
    ]
)
