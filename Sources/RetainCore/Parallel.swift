import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Deterministic data-parallel helpers.
///
/// Work is cut into chunks whose boundaries depend only on the problem size, never on the
/// thread count, and per-chunk results are combined in chunk order: the result is bit-identical
/// whether 1 or many threads run it.
public enum Parallel {
    /// Threads used by the parallel loops: `RETAIN_THREADS` if set (a whole number ≥ 1), else the
    /// number of cores. The one place the project decides a thread count: the event reader, the
    /// feature accumulator, the feature-table reader, the fitters and the sample generator all
    /// use it. Results never depend on it; tests set it to check that.
    public static var threadCount: Int = {
        if let s = getenv("RETAIN_THREADS"), let n = Int(String(cString: s)), n >= 1 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Half-open row ranges of at most `chunk` rows covering `0..<count`.
    package static func chunks(count: Int, chunk: Int) -> [Range<Int>] {
        guard count > 0 else { return [] }
        let size = max(1, chunk)
        return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }

    /// Number of workers `forEachIndexed` uses for `chunkCount` chunks.
    package static func workerCount(for chunkCount: Int) -> Int { max(1, min(threadCount, chunkCount)) }

    /// Runs `body(chunkIndex, workerIndex)` for every chunk on up to `threads` workers (default
    /// ``threadCount``); `workerIndex < min(threads, chunkCount)` lets a worker reuse its own
    /// scratch buffers. Workers pull chunk indices in order; results must not depend on `workerIndex`.
    package static func forEachIndexed(_ chunkCount: Int, threads: Int = threadCount, _ body: (_ chunk: Int, _ worker: Int) -> Void) {
        let t = max(1, min(threads, chunkCount))
        if t <= 1 {
            for i in 0..<chunkCount { body(i, 0) }
            return
        }
        let next = ManagedAtomicCounter()
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: t) { w in
                while true {
                    let i = next.increment()
                    if i >= chunkCount { break }
                    body(i, w)
                }
            }
        }
    }

    /// Runs `body(chunkIndex)` for every chunk index in `0..<chunkCount` on up to `threadCount` threads.
    package static func forEach(_ chunkCount: Int, _ body: (Int) -> Void) {
        forEachIndexed(chunkCount) { chunk, _ in body(chunk) }
    }
}

/// A tiny lock-protected counter (no swift-atomics dependency).
package final class ManagedAtomicCounter: @unchecked Sendable {
    private var value = 0
    private var lock = pthread_mutex_t()
    package init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    /// Returns the current value and adds one.
    package func increment() -> Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let v = value
        value += 1
        return v
    }
}
