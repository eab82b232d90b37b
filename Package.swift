// swift-tools-version: 6.2
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "SecureCoAP",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CoAP", targets: ["CoAP"]),
        .library(name: "LibCrypto", targets: ["LibCrypto"]),
        .library(name: "CBOR", targets: ["CBOR"]),
        .library(name: "Sealing", targets: ["Sealing"]),
        .library(name: "SenML", targets: ["SenML"]),
        .library(name: "DeviceRegistry", targets: ["DeviceRegistry"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "Node", targets: ["Node"]),
        .library(name: "Firmware", targets: ["Firmware"]),
        .executable(name: "coap", targets: ["coap"]),
        .executable(name: "coap-registry", targets: ["coap-registry"]),
        .executable(name: "coap-gateway", targets: ["coap-gateway"]),
        .executable(name: "coap-node", targets: ["coap-node"]),
        .executable(name: "coap-firmware", targets: ["coap-firmware"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C modules
        .systemLibrary(
            name: "CLibCoAP",
            pkgConfig: "libcoap-3-openssl",
            providers: [.apt(["libcoap3-dev", "libssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Platform code every library shares (file locks, ...): package-internal, not a product.
        .target(name: "Platform", swiftSettings: strict),

        // Libraries
        .target(
            name: "CoAP",
            dependencies: [
                "CLibCoAP",
                "LibCrypto",
                "Platform",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(name: "LibCrypto", dependencies: ["CLibCrypto"], swiftSettings: strict),
        .target(name: "CBOR", swiftSettings: strict),
        .target(name: "Sealing", dependencies: ["LibCrypto", "CBOR", "Platform"], swiftSettings: strict),
        .target(name: "SenML", dependencies: ["CBOR"], swiftSettings: strict),
        .target(name: "Firmware", dependencies: ["CBOR", "LibCrypto"], swiftSettings: strict),
        .target(
            name: "DeviceRegistry",
            dependencies: [
                "LibCrypto", "Platform",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "CoAP", "Sealing", "SenML", "CBOR", "LibCrypto", "DeviceRegistry", "Platform",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Node",
            dependencies: ["CoAP", "Sealing", "SenML", "CBOR", "LibCrypto", "Platform", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // Command-line options the executables share (DTLS, certificates, sealing): not a product.
        .target(
            name: "CLIOptions",
            dependencies: ["CoAP", "Sealing", "LibCrypto", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // Executables: argument parsing and wiring only
        .executableTarget(
            name: "coap",
            dependencies: [
                "CoAP", "Platform", "CLIOptions",
                "Sealing",
                "LibCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "coap-firmware",
            dependencies: ["Firmware", "Platform", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "coap-registry",
            dependencies: [
                "DeviceRegistry", "LibCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "coap-gateway",
            dependencies: [
                "Gateway", "DeviceRegistry", "CoAP", "CLIOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "coap-node",
            dependencies: [
                "Node", "CoAP", "Sealing", "SenML", "LibCrypto", "Platform", "CLIOptions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Examples: one small program per library
        .executableTarget(
            name: "coap-example",
            dependencies: ["CoAP"],
            path: "Examples/CoAPExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sealing-example",
            dependencies: ["Sealing", "LibCrypto"],
            path: "Examples/SealingExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sensor-node-example",
            dependencies: [
                "Node", "Gateway", "DeviceRegistry", "CoAP", "Sealing", "SenML", "LibCrypto",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/SensorNode",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "gateway-host-example",
            dependencies: [
                "Gateway", "DeviceRegistry", "CoAP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/GatewayHost",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "registry-example",
            dependencies: ["DeviceRegistry"],
            path: "Examples/RegistryExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "firmware-example",
            dependencies: ["Firmware"],
            path: "Examples/FirmwareExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "senml-example",
            dependencies: ["SenML", "CBOR"],
            path: "Examples/SenMLExample",
            swiftSettings: strict
        ),

        // Benchmarks (release builds, run by `make bench`)
        .executableTarget(
            name: "coap-bench-server",
            dependencies: ["CoAP", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/BenchServer",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "ingest-bench",
            dependencies: ["Gateway", "Sealing", "SenML", "LibCrypto", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/IngestBench",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "seal-bench",
            dependencies: ["Sealing", "LibCrypto", "CLibCrypto"],
            path: "Benchmarks/SealBench",
            swiftSettings: strict
        ),

        // Tests
        // Helpers the test targets share (processes, sockets, temporary directories): not a product.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(name: "CoAPTests", dependencies: ["CoAP"], swiftSettings: strict),
        .testTarget(name: "LibCryptoTests", dependencies: ["LibCrypto"], swiftSettings: strict),
        .testTarget(name: "CBORTests", dependencies: ["CBOR"], swiftSettings: strict),
        .testTarget(
            name: "SealingTests",
            dependencies: ["Sealing", "LibCrypto", "CBOR", "Platform", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "SenMLTests", dependencies: ["SenML", "CBOR"], swiftSettings: strict),
        .testTarget(
            name: "FirmwareTests",
            dependencies: ["Firmware", "CBOR", "LibCrypto", "TestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "DeviceRegistryTests", dependencies: ["DeviceRegistry", "LibCrypto", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "DeviceRegistry", "CoAP", "Sealing", "SenML", "LibCrypto", "Platform", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "NodeTests", dependencies: ["Node", "CoAP", "Sealing", "SenML", "LibCrypto", "Platform", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CoAP", "Sealing", "LibCrypto", "SenML", "DeviceRegistry", "Gateway", "Node", "Platform", "TestSupport"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
