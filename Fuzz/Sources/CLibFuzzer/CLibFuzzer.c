// Intentionally empty: SwiftPM needs a source file for a C target; the target only exports the
// declaration in include/CLibFuzzer.h (the definition is in libclang_rt.fuzzer, linked by
// -sanitize=fuzzer).
