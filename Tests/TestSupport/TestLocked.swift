import Foundation

/// A value behind a lock, for test bookkeeping shared between a test and the threads or handlers
/// it starts.
// @unchecked Sendable: `value` is only read or written while `lock` is held.
package final class TestLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func get() -> Value { lock.withLock { value } }

    package func set(_ newValue: Value) { lock.withLock { value = newValue } }

    /// Runs `body` with exclusive access to the value.
    @discardableResult
    package func update<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
