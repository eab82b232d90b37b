import Foundation
import LibCrypto
import Logging
import Platform
import Sealing

/// What may be done, when asked for, with a data directory that does not check out at opening
/// (see ``GatewayStorage``). None by default: the gateway refuses to start and says why.
public struct StorageRecovery: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The readings store is missing (or empty) while the replay state exists: start a new,
    /// empty readings store. The replay state is kept, so no earlier message is accepted again.
    public static let startNewReadingsStore = StorageRecovery(rawValue: 1)
    /// The readings store is older than the replay state (an older copy was restored): use it as
    /// it is. The readings since that copy are lost; the replay state is kept.
    public static let acceptRestoredReadings = StorageRecovery(rawValue: 2)
    /// The replay state is missing while the readings store has commits: make it again from the
    /// windows the readings store keeps with its rows.
    public static let rebuildReplayState = StorageRecovery(rawValue: 4)
}

/// The gateway's files: the readings store, the replay state beside it (``ReplayStore``), and a
/// lock that keeps a second gateway off them.
///
/// Opening checks that they belong together, so that neither a lost nor a restored readings store
/// re-opens replays (docs/security.md, "Replay protection"):
/// - neither file: a new data directory; both are made;
/// - the readings store missing or empty, the replay state there: refused (or a new readings
///   store, with ``StorageRecovery/startNewReadingsStore``);
/// - the replay state missing, the readings store with commits: refused (or the replay state made
///   again from the readings store, with ``StorageRecovery/rebuildReplayState``); a readings store
///   without commits (new, or from before the replay state had a file of its own) gives it its
///   windows;
/// - both there: they must name the same store; a readings store with fewer commits than the
///   replay state has seen is older than it and refused (or used, with
///   ``StorageRecovery/acceptRestoredReadings``); one with more (a crash between the two commits
///   of a group) brings the replay state up to date from its own copy of the windows.
final class GatewayStorage: Sendable {
    let readings: ReadingsStore
    let replay: ReplayStore
    private let lock: FileLock

    /// The replay state's file for a readings store at `readingsPath`.
    static func replayPath(forReadings readingsPath: String) -> String { stem(readingsPath) + ".replay.db" }
    /// The lock file for a readings store at `readingsPath`.
    static func lockPath(forReadings readingsPath: String) -> String { readingsPath + ".lock" }

    private static func stem(_ path: String) -> String { path.hasSuffix(".db") ? String(path.dropLast(3)) : path }

    init(
        readingsPath: String, masterKey: SecureBytes, durability: ReadingsDurability, recovery: StorageRecovery,
        contentCipher: (@Sendable () throws -> any ReadingsContentCipher)? = nil, logger: Logger
    ) throws {
        do {
            lock = try FileLock(path: Self.lockPath(forReadings: readingsPath), note: "coap-gateway pid \(getpid())")
        } catch {
            guard error.isHeldElsewhere else { throw GatewayError("cannot lock the readings store: \(error)") }
            throw GatewayError(
                "another gateway uses the readings store \(readingsPath)\(error.holder.map { " (\($0))" } ?? ""); one gateway per data directory")
        }
        let replayPath = Self.replayPath(forReadings: readingsPath)
        let hadReadings = SQLiteIntegrity.hasContent(readingsPath), hadReplay = SQLiteIntegrity.hasContent(replayPath)
        if !hadReadings, hadReplay, !recovery.contains(.startNewReadingsStore) {
            throw GatewayError(
                "the readings store \(readingsPath) is missing or empty, but its replay state \(replayPath) is there: restore the "
                    + "readings store, or start a new one deliberately (--new-readings-store; replay protection is kept)")
        }
        readings = try ReadingsStore(path: readingsPath, masterKey: masterKey, durability: durability, contentCipher: contentCipher)
        let ownWindows = try readings.replayWindows()
        if !hadReplay, hadReadings, readings.commits > 0, !recovery.contains(.rebuildReplayState) {
            throw GatewayError(
                "the replay state \(replayPath) is missing: restore it, or make it again from the readings store "
                    + "(--rebuild-replay-state)")
        }
        replay = try ReplayStore(path: replayPath, durability: durability)
        let current = ReplayStore.Binding(storeID: readings.storeID, commits: readings.commits)
        guard let bound = try replay.binding() else {
            // A new replay state: the readings store's windows (none for a new store) and its count.
            try replay.bind(current)
            try replay.record(ownWindows, commits: current.commits)
            if hadReadings, !hadReplay, readings.commits > 0 {
                logger.warning("replay state made again from the readings store", metadata: ["path": "\(replayPath)"])
            }
            return
        }
        if bound.storeID != readings.storeID {
            guard recovery.contains(.startNewReadingsStore), !hadReadings else {
                throw GatewayError(
                    "the readings store \(readingsPath) is not the one its replay state \(replayPath) goes with "
                        + "(a store from elsewhere?); nothing was changed")
            }
            try replay.bind(current)
            logger.warning("a new readings store was started; the replay state is kept", metadata: ["path": "\(readingsPath)"])
            return
        }
        if readings.commits < bound.commits {
            guard recovery.contains(.acceptRestoredReadings) else {
                throw GatewayError(
                    "the readings store \(readingsPath) is older than its replay state (\(readings.commits) of \(bound.commits) "
                        + "commits; restored from a backup?): readings since then are lost. Start with --accept-restored-readings "
                        + "to use it (replay protection is kept)")
            }
            try replay.bind(current)
            logger.warning("an older readings store was accepted", metadata: [
                "commits": "\(readings.commits)", "replay_state_commits": "\(bound.commits)",
            ])
            return
        }
        if readings.commits > bound.commits {
            // A crash between a group's two commits: the readings store's windows are newer.
            let stored = try replay.windows()
            var merged: [[UInt8]: ReplayWindow] = [:]
            for (kid, window) in ownWindows { merged[kid] = window.merged(with: stored[kid] ?? ReplayWindow()) }
            try replay.record(merged, commits: readings.commits)
        }
    }

    /// The window a kid starts with: the replay state's, with the readings store's copy (which may
    /// be newer, for a moment after a group commit).
    func window(kid: [UInt8]) -> ReplayWindow {
        let own = (try? replay.window(kid: kid)) ?? nil
        return (own ?? ReplayWindow()).merged(with: readings.replayWindow(kid: kid) ?? ReplayWindow())
    }

    /// Empties the stores' logs into their files and lets the lock go (the files stay open until
    /// the stores go away). Nothing is written after: the commit queue has closed.
    func close() {
        readings.checkpointLog()
        replay.checkpointLog()
        lock.release()
    }
}
