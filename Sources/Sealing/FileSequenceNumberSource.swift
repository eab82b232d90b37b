internal import LibCrypto
import Platform
/// Sequence numbers that never repeat across restarts or crashes, reserved in blocks in a file.
///
/// The file holds one decimal number and a newline: the upper bound (exclusive) of the numbers that
/// may have been handed out. Before handing out a number at or past that bound, the source writes a
/// new bound (``reservationSize`` further) to a temporary file, fsyncs it, renames it over the file
/// and fsyncs the directory. After a restart, numbering resumes at the stored bound, so a crash
/// skips at most one block and never reuses a number.
///
/// Use one source per file: two sources (or two processes) over the same file would hand out the
/// same numbers. A missing file means "nothing used yet" (start at 0). A file that cannot be parsed is an error,
/// never a reset. Deleting the file while its key is in use would allow reuse: don't.
public final class FileSequenceNumberSource: SequenceNumberSource {
    /// The path of the reservation file.
    public let path: String
    /// How many numbers one durable write reserves.
    public let reservationSize: UInt64

    private struct State {
        var next: UInt64
        var reservedUpTo: UInt64
    }

    private let state: Locked<State>

    /// Opens (or prepares to create) the reservation file at `path`. Nothing is written until the
    /// first number is needed.
    public init(path: String, reservationSize: UInt64 = 256) throws {
        guard reservationSize >= 1 else {
            throw SealingError(.storageFailure, "reservation size must be at least 1")
        }
        self.path = path
        self.reservationSize = reservationSize
        let stored = try Self.readBound(path: path)
        state = Locked(State(next: stored, reservedUpTo: stored))
    }

    /// The bound currently stored durably (exclusive).
    public var reservedUpperBound: UInt64 {
        state.withLock { $0.reservedUpTo }
    }

    public func nextSequenceNumber() throws -> UInt64 {
        try state.withLock { state in
            guard state.next <= SealingFormat.maxSequenceNumber else {
                throw SealingError(.sequenceExhausted, "no sequence numbers left below 2^40; rotate the key")
            }
            if state.next >= state.reservedUpTo {
                let limit = SealingFormat.maxSequenceNumber + 1
                let bound = state.next + Swift.min(reservationSize, limit - state.next)
                do throws(FileError) {
                    try DurableFile.replace(path, with: Array("\(bound)\n".utf8), what: "sequence number file")
                } catch {
                    throw SealingError(error)
                }
                state.reservedUpTo = bound
            }
            defer { state.next += 1 }
            return state.next
        }
    }

    private static func readBound(path: String) throws -> UInt64 {
        let read: [UInt8]?
        do throws(FileError) { read = try DurableFile.contents(of: path, maxBytes: 64, what: "sequence number file", wipe: true) } catch {
            throw SealingError(error)
        }
        guard let contents = read else { return 0 }
        var text = String(decoding: contents, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let bound = UInt64(text), bound <= SealingFormat.maxSequenceNumber + 1
        else {
            throw SealingError(
                .storageFailure,
                "sequence number file \(path) is corrupt (expected one decimal number); refusing to guess, which could reuse nonces"
            )
        }
        return bound
    }
}
