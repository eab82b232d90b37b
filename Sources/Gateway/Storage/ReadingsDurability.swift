/// What an acknowledged reading survives: how far a commit goes before its 2.01 is sent.
///
/// Either way the reading is committed before it is acknowledged, and the store stays consistent
/// after any crash; the choice is whether the write-ahead log is flushed to the device on every
/// commit, which costs ingestion a large part of its throughput (Benchmarks/RESULTS.md, the
/// power-loss durability row).
public enum ReadingsDurability: String, Sendable, CaseIterable {
    /// The commit is in the operating system before the 2.01 (SQLite WAL, `synchronous=NORMAL`):
    /// kept when the gateway process is killed or crashes. A power cut or kernel crash can lose
    /// the last commits, never corrupt the store. The default, and what the readings issue asks.
    case processCrash = "process"
    /// The log is flushed to the device (`fdatasync`) before the 2.01 (`synchronous=FULL`): kept
    /// through a power cut too, at one flush per group commit.
    case powerLoss = "power"

    /// The SQLite `synchronous` level: NORMAL (1) or FULL (2).
    var synchronousLevel: Int {
        switch self {
        case .processCrash: 1
        case .powerLoss: 2
        }
    }
}
