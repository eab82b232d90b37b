import CLibFuzzer

/// Runs libFuzzer on `callback` with the process's arguments.
///
/// SwiftPM links every executable with `main` renamed to `<module>_main` (so tests can link
/// executables), which hides libFuzzer's own `main`; each target therefore defines
/// `@_cdecl("<module>_main")` and forwards here, to `LLVMFuzzerRunDriver`, which is what libFuzzer's
/// `main` calls too. The callback is also exported as `LLVMFuzzerTestOneInput`, for a plain
/// `clang -fsanitize=fuzzer` link.
public enum FuzzerDriver {
    public typealias Callback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

    public static func run(
        _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ callback: Callback
    ) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, callback)
    }
}
