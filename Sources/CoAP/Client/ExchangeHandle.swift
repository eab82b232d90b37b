import Platform
/// Connects a caller's task to its exchange on the loop, for cancellation.
///
/// `@unchecked Sendable`: `lock` guards every field.
final class ExchangeHandle: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var _key: ExchangeKey?
    private var _cancelled = false
    private var _onCancel: (@Sendable () -> Void)?

    var key: ExchangeKey? {
        get { lock.withLock { _key } }
        set { lock.withLock { _key = newValue } }
    }

    /// Called once when the caller's task is cancelled.
    var onCancel: (@Sendable () -> Void)? {
        get { lock.withLock { _onCancel } }
        set { lock.withLock { _onCancel = newValue } }
    }

    var isCancelled: Bool { lock.withLock { _cancelled } }

    /// Marks the handle cancelled and, once the exchange exists, abandons it on the loop.
    func cancel(on context: LibCoAPContext) {
        let (key, onCancel) = lock.withLock { () -> (ExchangeKey?, (@Sendable () -> Void)?) in
            if _cancelled { return (nil, nil) }
            _cancelled = true
            return (_key, _onCancel)
        }
        let error = CoAPError(.shutdown, "the request was cancelled")
        if let key {
            context.loop.execute { context.client?.abandon(key: key, error: error) }
        }
        onCancel?()
    }
}

/// Resumes a checked continuation at most once.
///
/// `@unchecked Sendable`: `lock` guards `continuation`.
final class OnceContinuation<T: Sendable>: @unchecked Sendable {
    private let lock = PThreadMutex()
    private var continuation: CheckedContinuation<T, any Error>?

    init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

    func resume(with result: Result<T, any Error>) {
        let c: CheckedContinuation<T, any Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        c?.resume(with: result)
    }
}
