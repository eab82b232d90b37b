#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A thread of our own: a named pthread that runs one body, and that its owner joins.
///
/// For work that blocks (a wait in `epoll_wait`, a small SQLite read, a blocking `read`) and so
/// must stay off Swift's cooperative pool. How the body learns that it should return is its own
/// business (a flag and a wake-up: an eventfd, a condition; see ``PeriodicThread``); ``join()``
/// only waits for it to have returned.
///
/// `@unchecked Sendable`: the mutable state (`thread`, `finished`, `joinClaimed`, `detached`) is only touched under `mutex`.
package final class OwnedThread: @unchecked Sendable {
    /// Why a thread was not started.
    package struct StartFailure: Error, Sendable, CustomStringConvertible {
        /// The error number `pthread_create` returned.
        package var code: Int32
        package var description: String
    }

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var thread: pthread_t?
    private var finished = false
    private var joinClaimed = false
    private var detached = false

    package init() {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        // Reached once the body has returned (a running thread retains its owner): a thread
        // nobody joined is detached, so the system frees it.
        if let thread, !joinClaimed, !detached { pthread_detach(thread) }
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The longest thread name the system keeps, in bytes (Linux: 15 and a NUL).
    package static let maxNameBytes = 15

    /// Starts `body` on a new thread named `name` (cut to ``maxNameBytes`` bytes). Once only.
    package func start(name: String, body: @escaping @Sendable () -> Void) throws(StartFailure) {
        let launch = Launch(owner: self, name: Self.systemName(name), body: body)
        let box = Unmanaged.passRetained(launch)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        precondition(thread == nil, "OwnedThread.start called twice")
        var tid = pthread_t()
        // The new thread takes `mutex` before it runs `body`, so `thread` is set by then.
        let rc = pthread_create(&tid, nil, { raw in
            let launch = Unmanaged<Launch>.fromOpaque(raw!).takeRetainedValue()
            launch.run()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw StartFailure(code: rc, description: "cannot start thread \(name): \(String(cString: strerror(rc)))")
        }
        thread = tid
    }

    /// `name` cut to whole characters of at most ``maxNameBytes`` bytes: a longer name is refused
    /// by the system, and the thread would go unnamed.
    static func systemName(_ name: String) -> String {
        var kept = ""
        for character in name {
            guard kept.utf8.count + character.utf8.count <= maxNameBytes else { break }
            kept.append(character)
        }
        return kept
    }

    /// `true` on this thread.
    package var isCurrent: Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    /// Waits until the body has returned; at once when the thread was never started. On the thread
    /// itself it does not wait (the thread is detached and ends when its body returns). Any number
    /// of callers may join, from any thread.
    package func join() {
        pthread_mutex_lock(mutex)
        guard let thread else {
            pthread_mutex_unlock(mutex)
            return
        }
        if pthread_equal(thread, pthread_self()) != 0 {
            if !joinClaimed && !detached {
                detached = true
                pthread_detach(thread)
            }
            pthread_mutex_unlock(mutex)
            return
        }
        if joinClaimed || detached {
            while !finished { pthread_cond_wait(condition, mutex) }
            pthread_mutex_unlock(mutex)
            return
        }
        joinClaimed = true
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
    }

    /// Marks the body as returned and wakes those waiting in ``join()``.
    private func bodyReturned() {
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// What the new thread needs, passed through `pthread_create`'s argument.
    private final class Launch {
        let owner: OwnedThread
        let name: String
        let body: @Sendable () -> Void

        init(owner: OwnedThread, name: String, body: @escaping @Sendable () -> Void) {
            self.owner = owner
            self.name = name
            self.body = body
        }

        func run() {
            pthread_mutex_lock(owner.mutex)
            pthread_mutex_unlock(owner.mutex)
            #if canImport(Glibc)
            // glibc declares pthread_setname_np only under _GNU_SOURCE, which Swift's Glibc module
            // does not define; the kernel takes the name from this file just the same.
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                _ = name.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
                _ = close(fd)
            }
            #elseif canImport(Darwin)
            _ = pthread_setname_np(name)
            #endif
            body()
            owner.bodyReturned()
        }
    }
}
