import Foundation

/// The lines of standard input as an `AsyncStream`, read by a dedicated thread so that a blocking
/// read never holds one of the cooperative pool's threads.
enum StandardInputLines {
    static func stream() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(line)
            }
            continuation.finish()
        }
        thread.name = "coap-node.stdin"
        thread.start()
        return stream
    }
}
