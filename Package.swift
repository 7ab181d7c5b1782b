// swift-tools-version: 6.2
import PackageDescription

/// The pure domain core (CellModel, CellDetection, CellSimulator, CyclerReaders, CellStatistics)
/// depends on nothing that does network or database I/O: it is tested in microseconds and reused
/// by every shell. The shells (AgentSpool, ZeroMQ, WireProtocol, CellfleetAgent,
/// CellfleetCoordinator, EmbeddedPostgres) move bytes; the `cellfleet` executable wires them up.
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
    ],
    targets: [
        // MARK: pure core
        .target(name: "CellModel"),
        .target(name: "CellDetection", dependencies: ["CellModel"]),
        .target(name: "CellSimulator", dependencies: ["CellModel"]),
        .target(
            name: "CyclerReaders",
            dependencies: ["CellModel", .product(name: "ZIPFoundation", package: "ZIPFoundation")]
        ),
        .target(name: "CellStatistics", dependencies: ["CellModel"]),

        // MARK: I/O shells
        .systemLibrary(name: "CZMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZMQ"]),
        .target(
            name: "WireProtocol",
            dependencies: ["CellModel", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .target(
            name: "AgentSpool",
            dependencies: ["WireProtocol", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "EmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "CellfleetAgent",
            dependencies: [
                "CellModel", "CellSimulator", "WireProtocol", "AgentSpool", "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(
            name: "CellfleetCoordinator",
            dependencies: [
                "CellModel", "WireProtocol", "ZeroMQ", "EmbeddedPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // postgres-nio has an EventLoopFuture overload of `query` that an unused `try await`
            // silently binds to; only a warning says so, and it would let us ACK before COMMIT.
            swiftSettings: [.treatAllWarnings(as: .error)]
        ),
        .executableTarget(
            name: "cellfleet",
            dependencies: [
                "CellModel", "CellDetection", "CellSimulator", "CyclerReaders", "CellStatistics",
                "CellfleetAgent", "CellfleetCoordinator", "EmbeddedPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: tests
        .testTarget(name: "CellModelTests", dependencies: ["CellModel"]),
        .testTarget(name: "CellSimulatorTests", dependencies: ["CellSimulator", "CellModel"]),
        .testTarget(name: "CellDetectionTests", dependencies: ["CellDetection", "CellSimulator", "CellModel"]),
        .testTarget(name: "CyclerReadersTests", dependencies: ["CyclerReaders", "CellModel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CellStatisticsTests", dependencies: ["CellStatistics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "BackboneTests", dependencies: [
            "ZeroMQ", "WireProtocol", "AgentSpool", "CellfleetAgent", "CellfleetCoordinator", "EmbeddedPostgres",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
