import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT and SIGTERM as they arrive, for a command that ends cleanly when interrupted. While a
/// stream is alive, the signals no longer end the process (their default action is replaced for
/// the rest of the process); iterating it is cancellable.
enum TerminationSignals {
    static func stream() -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let sources = SignalSources([SIGINT, SIGTERM].map { signo in
            #if canImport(Darwin)
            signal(signo, SIG_IGN)
            #endif
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { continuation.yield(signo) }
            source.resume()
            return source
        })
        continuation.onTermination = { _ in sources.cancel() }
        return stream
    }

    /// The dispatch sources of a stream, cancelled with it.
    // @unchecked Sendable: `sources` is set once in init; a DispatchSource may be cancelled from any thread.
    private final class SignalSources: @unchecked Sendable {
        let sources: [any DispatchSourceSignal]
        init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
        func cancel() { sources.forEach { $0.cancel() } }
    }
}
