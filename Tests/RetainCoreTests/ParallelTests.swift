import XCTest
@testable import RetainCore

final class ParallelTests: XCTestCase {
    func testChunksCoverTheRangeInOrderWithoutOverlap() {
        for (count, chunk) in [(0, 5), (1, 5), (10, 5), (11, 5), (7, 1), (5, 0), (100, 1000)] {
            let ranges = Parallel.chunks(count: count, chunk: chunk)
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(0..<count), "count \(count), chunk \(chunk)")
            XCTAssertTrue(ranges.allSatisfy { !$0.isEmpty && $0.count <= max(1, chunk) })
        }
    }

    func testForEachRunsEveryChunkOnce() {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        nonisolated(unsafe) let h = hits
        Parallel.forEach(1000) { h[$0] += 1 }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
        hits.initialize(repeating: 0)
        Parallel.forEachIndexed(1000) { chunk, worker in
            precondition(worker < Parallel.workerCount(for: 1000))
            h[chunk] += 1
        }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
    }

    /// A chunked floating-point sum whose chunk results are combined in chunk order.
    private func chunkedSum(_ values: [Double]) -> Double {
        let ranges = Parallel.chunks(count: values.count, chunk: 1000)
        var partial = [Double](repeating: 0, count: ranges.count)
        partial.withUnsafeMutableBufferPointer { p in
            nonisolated(unsafe) let p = p
            Parallel.forEach(ranges.count) { c in p[c] = ranges[c].reduce(0) { $0 + values[$1] } }
        }
        return partial.reduce(0, +)
    }

    func testResultsDoNotDependOnTheThreadCount() {
        var rng = SeededGenerator(seed: 7)
        let values = (0..<100_000).map { _ in rng.nextUnit() * 1e6 - 5e5 }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        var sums = [Double]()
        for threads in [1, 2, 3, 8] {
            Parallel.threadCount = threads
            XCTAssertEqual(Parallel.workerCount(for: 100), min(threads, 100))
            sums.append(chunkedSum(values))
        }
        XCTAssertEqual(Set(sums.map(\.bitPattern)).count, 1, "sums \(sums)")
    }

    func testThreadCountIsPositive() {
        XCTAssertGreaterThanOrEqual(Parallel.threadCount, 1)
    }
}
