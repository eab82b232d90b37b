// swift-tools-version: 6.2
// Coverage-guided fuzzing (libFuzzer) of every parser that sees network or file input.
// A package of its own so the root package stays free of unsafe flags; build and run with
// `bash Fuzz/run.sh SECONDS` (see README.md), which passes `-sanitize=fuzzer,address`.
import PackageDescription

/// libFuzzer supplies `main`: each target is compiled as a library-style module (no top-level
/// code), so its only entry point is `LLVMFuzzerTestOneInput`.
let fuzzSettings: [SwiftSetting] = [
    .unsafeFlags(["-parse-as-library"]),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

/// One executable per parser; `name` is the directory under Sources/ and Corpus/.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: fuzzSettings)
}

let package = Package(
    name: "SecureCoAPFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "SecureCoAP", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Declares libFuzzer's LLVMFuzzerRunDriver for Swift (see FuzzSupport/FuzzerDriver.swift).
        .target(name: "CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CLibFuzzer"],
            swiftSettings: [.enableUpcomingFeature("InternalImportsByDefault"), .enableUpcomingFeature("ExistentialAny")]
        ),
        fuzzTarget("FuzzCBOR", [.product(name: "CBOR", package: "SecureCoAP")]),
        fuzzTarget("FuzzSUITEnvelope", [.product(name: "Firmware", package: "SecureCoAP")]),
        fuzzTarget(
            "FuzzSealedOpen",
            [.product(name: "Sealing", package: "SecureCoAP"), .product(name: "LibCrypto", package: "SecureCoAP"),
             .product(name: "CBOR", package: "SecureCoAP"), .product(name: "SenML", package: "SecureCoAP")]
        ),
        // The properties every decoded SenML pack must have, shared by the JSON and CBOR targets.
        .target(
            name: "SenMLChecks",
            dependencies: ["FuzzSupport", .product(name: "SenML", package: "SecureCoAP")],
            swiftSettings: [.enableUpcomingFeature("InternalImportsByDefault"), .enableUpcomingFeature("ExistentialAny")]
        ),
        fuzzTarget("FuzzSenMLJSON", ["SenMLChecks", .product(name: "SenML", package: "SecureCoAP")]),
        fuzzTarget(
            "FuzzSenMLCBOR",
            ["SenMLChecks", .product(name: "SenML", package: "SecureCoAP"), .product(name: "CBOR", package: "SecureCoAP")]
        ),
        fuzzTarget("FuzzLinkFormat", [.product(name: "CoAP", package: "SecureCoAP")]),
        fuzzTarget("FuzzCoAPURI", [.product(name: "CoAP", package: "SecureCoAP")]),
        fuzzTarget("FuzzCoAPOptions", [.product(name: "CoAP", package: "SecureCoAP")]),
        fuzzTarget(
            "FuzzGatewayReading",
            [.product(name: "Gateway", package: "SecureCoAP"), .product(name: "CoAP", package: "SecureCoAP"),
             .product(name: "SenML", package: "SecureCoAP"), .product(name: "Logging", package: "swift-log")]
        ),
        fuzzTarget("FuzzNodeReadingLine", [.product(name: "Node", package: "SecureCoAP"), .product(name: "SenML", package: "SecureCoAP")]),
        fuzzTarget("FuzzRegistryImport", [.product(name: "DeviceRegistry", package: "SecureCoAP")]),
        fuzzTarget("FuzzGatewayConfig", [.product(name: "Gateway", package: "SecureCoAP")]),
        fuzzTarget("FuzzX509", [.product(name: "LibCrypto", package: "SecureCoAP")]),
        fuzzTarget("FuzzDeviceSecretFile", [.product(name: "Sealing", package: "SecureCoAP")]),
    ],
    swiftLanguageModes: [.v6]
)
