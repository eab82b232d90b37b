import Foundation

/// Writes a target's generated seed corpus and exits, when `FUZZ_WRITE_SEEDS` names a directory.
///
/// Some seeds need this project's own code to exist at all (a message sealed with the fixed test
/// key, a registry export whose key check matches the fuzz registry's master key), so each target
/// generates its seeds in `LLVMFuzzerInitialize`, which libFuzzer calls before fuzzing. Fuzz/make-seeds.sh
/// runs every target this way to refresh Fuzz/Corpus.
public enum SeedExport {
    /// The environment variable naming the output directory.
    public static let variable = "FUZZ_WRITE_SEEDS"

    /// Writes `seeds()` (file name → contents) if requested, then exits; otherwise returns at once.
    public static func writeIfRequested(_ seeds: () throws -> [(name: String, bytes: [UInt8])]) {
        guard let directory = ProcessInfo.processInfo.environment[variable], !directory.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for seed in try seeds() {
                let url = URL(fileURLWithPath: directory).appendingPathComponent(seed.name)
                try Data(seed.bytes).write(to: url)
            }
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("cannot write seeds to \(directory): \(error)\n".utf8))
            exit(1)
        }
    }

    /// Text seeds, named `<prefix>-<n>`.
    public static func text(_ prefix: String, _ texts: [String]) -> [(name: String, bytes: [UInt8])] {
        texts.enumerated().map { (name: "\(prefix)-\($0.offset)", bytes: Array($0.element.utf8)) }
    }

    /// Binary seeds, named `<prefix>-<n>`.
    public static func binary(_ prefix: String, _ items: [[UInt8]]) -> [(name: String, bytes: [UInt8])] {
        items.enumerated().map { (name: "\(prefix)-\($0.offset)", bytes: $0.element) }
    }
}
