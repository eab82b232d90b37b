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
        .executable(name: "coap", targets: ["coap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
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

        // Libraries
        .target(
            name: "CoAP",
            dependencies: [
                "CLibCoAP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(name: "LibCrypto", dependencies: ["CLibCrypto"], swiftSettings: strict),
        .target(name: "CBOR", swiftSettings: strict),
        .target(name: "Sealing", dependencies: ["LibCrypto", "CBOR"], swiftSettings: strict),

        // Executables: argument parsing and wiring only
        .executableTarget(
            name: "coap",
            dependencies: [
                "CoAP",
                "Sealing",
                "LibCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Benchmarks (release builds, run by `make bench`)
        .executableTarget(
            name: "seal-bench",
            dependencies: ["Sealing", "LibCrypto", "CLibCrypto"],
            path: "Benchmarks/SealBench",
            swiftSettings: strict
        ),

        // Tests
        .testTarget(name: "CoAPTests", dependencies: ["CoAP"], swiftSettings: strict),
        .testTarget(name: "LibCryptoTests", dependencies: ["LibCrypto"], swiftSettings: strict),
        .testTarget(name: "CBORTests", dependencies: ["CBOR"], swiftSettings: strict),
        .testTarget(
            name: "SealingTests",
            dependencies: ["Sealing", "LibCrypto", "CBOR"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CoAP"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
