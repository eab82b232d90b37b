import FuzzSupport

/// The executable's entry point: SwiftPM renames `main` to `<module>_main` (see FuzzerDriver).
@_cdecl("FuzzSUITEnvelope_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzerDriver.run(argc, argv) { data, size in data.map { fuzz($0, size) } ?? 0 }
}
