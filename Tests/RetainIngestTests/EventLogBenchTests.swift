import Foundation
import XCTest
@testable import RetainCore
@testable import RetainIO
@testable import RetainIngest

/// Reader throughput on the benchmark's events.csv; runs only with RETAIN_BENCH=1 (use a release
/// build: `RETAIN_BENCH=1 swift test -c release --filter EventLogBench`). Path: RETAIN_BENCH_EVENTS
/// (default /tmp/bench-data/events.csv); RETAIN_BENCH_THREADS, RETAIN_BENCH_RUNS (default 3).
final class EventLogBenchTests: XCTestCase {
    func testReadThroughput() throws {
        let env = ProcessInfo.processInfo.environment
        guard env["RETAIN_BENCH"] == "1" else { throw XCTSkip("set RETAIN_BENCH=1") }
        let path = env["RETAIN_BENCH_EVENTS"] ?? "/tmp/bench-data/events.csv"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("no \(path)") }
        let threads = env["RETAIN_BENCH_THREADS"].flatMap(Int.init)
        let runs = env["RETAIN_BENCH_RUNS"].flatMap(Int.init) ?? 3
        for run in 0..<runs {
            let reader = EventLogReader(source: .csv(path: path))
            if let threads { reader.threadCount = threads }
            var checksum = 0.0
            var batches = 0
            let summary = try reader.read { batch in
                batches += 1
                checksum += batch.time[batch.count - 1]
            }
            let mb = Double(summary.textBytes) / 1e6
            print(String(format: "run %d: %@ rows %d, %.1f MB text (%.1f MB file) in %.3f s: %.0f MB/s, %.2f M rows/s; %d customers, %d types, %d batches, threads %d",
                         run, path, summary.rows, mb, Double(summary.bytes) / 1e6, summary.seconds, mb / summary.seconds,
                         Double(summary.rows) / summary.seconds / 1e6, reader.customerIDs.count, reader.eventTypes.count, batches, reader.threadCount))
        }
    }
}
