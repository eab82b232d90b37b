import Platform
#if canImport(Glibc)
import Glibc
#endif

/// A one-shot timer run by the endpoint loop. Loop-thread only.
final class LoopTimer {
    let deadline: UInt64
    let sequence: UInt64
    fileprivate(set) var cancelled = false
    /// Released once the timer fires or is cancelled: it often captures what holds the timer.
    private(set) var action: (() -> Void)?

    init(deadline: UInt64, sequence: UInt64, action: @escaping () -> Void) {
        self.deadline = deadline
        self.sequence = sequence
        self.action = action
    }

    /// Cancels the timer; cancelled timers are dropped when they reach the top of the heap.
    func cancel() {
        cancelled = true
        action = nil
    }

    /// Runs the action once and releases it.
    func fire() {
        let action = self.action
        self.action = nil
        action?()
    }
}


/// A binary min-heap of timers ordered by deadline, then by scheduling order. Loop-thread only.
struct LoopTimers {
    private var heap: [LoopTimer] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func schedule(afterNanoseconds delay: UInt64, _ action: @escaping () -> Void) -> LoopTimer {
        nextSequence += 1
        let timer = LoopTimer(deadline: monotonicNanoseconds() &+ delay, sequence: nextSequence, action: action)
        heap.append(timer)
        siftUp(heap.count - 1)
        return timer
    }

    /// Removes and returns the timers that are due, in order.
    mutating func popDue(now: UInt64) -> [LoopTimer] {
        var due: [LoopTimer] = []
        while let top = heap.first, top.cancelled || top.deadline <= now {
            let t = removeTop()
            if !t.cancelled { due.append(t) }
        }
        return due
    }

    /// Milliseconds until the next live timer (rounded up), or nil when none is pending.
    mutating func millisecondsUntilNext(now: UInt64) -> Int32? {
        while let top = heap.first, top.cancelled { _ = removeTop() }
        guard let top = heap.first else { return nil }
        if top.deadline <= now { return 0 }
        let ms = (top.deadline - now + 999_999) / 1_000_000
        return Int32(min(ms, UInt64(Int32.max)))
    }

    mutating func removeAll() -> [LoopTimer] {
        defer { heap.removeAll() }
        return heap
    }

    private mutating func removeTop() -> LoopTimer {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return top
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].deadline != heap[b].deadline
            ? heap[a].deadline < heap[b].deadline : heap[a].sequence < heap[b].sequence
    }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, less(l, m) { m = l }
            if r < heap.count, less(r, m) { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
