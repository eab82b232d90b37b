import Platform

/// The lines of standard input as an `AsyncStream`, read by a thread of its own so that a blocking
/// read never holds one of the cooperative pool's threads. The thread ends at end of input.
enum StandardInputLines {
    static func stream() throws(OwnedThread.StartFailure) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        try OwnedThread().start(name: "coap-node.stdin") {
            while let line = readLine(strippingNewline: true) {
                continuation.yield(line)
            }
            continuation.finish()
        }
        return stream
    }
}
