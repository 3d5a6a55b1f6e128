import Dispatch
import Foundation
import RetainCore

/// Settings of the deterministic sample-data generator: a realistic customer event log and
/// customers table that exercise every role of the event data contract (DESIGN.md).
///
/// The same settings give byte-identical files: each customer is simulated from their own random
/// stream (xoshiro256** seeded from `seed` and the customer's index), the shared calendar of
/// campaigns and webinars from another, so results do not depend on the thread count.
///
/// What the log holds (see `datasets/sample/README.md` for the column-by-column description):
/// heterogeneous customers (gamma-distributed activity, plans basic / standard / premium with
/// different spend, twelve countries with their time zones), weekly and yearly seasonality and a
/// Black-Friday/December purchase peak, signups spread over the two years before the window and
/// the window itself, and a `churnShare` of customers who fade out over three to nine weeks
/// (fewer sessions, opens and purchases; more tickets; detractor NPS, low CSAT and CES) and then
/// stop: no event of theirs from their stop time on.
///
/// ```swift
/// let summary = try SampleGenerator(customers: 5000, days: 365, start: "2025-01-01", seed: 20251123)
///     .write(eventsPath: "events.csv", customersPath: "customers.csv")
/// ```
public struct SampleGenerator: Sendable, Equatable {
    /// Number of customers (ids `C000001` …; 1 … 10,000,000).
    public var customers = 5000
    /// Length of the event window in days (7 … 20,000).
    public var days = 365
    /// First day of the window, `YYYY-MM-DD` (UTC).
    public var start = "2025-01-01"
    /// Seed of every random draw.
    public var seed: UInt64 = 20_251_123
    /// Target share of customers who disengage and stop inside the window (0 … 0.9). The
    /// realised share is a little lower: customers who sign up in the last two weeks never churn.
    public var churnShare = 0.30

    public init(customers: Int = 5000, days: Int = 365, start: String = "2025-01-01",
                seed: UInt64 = 20_251_123, churnShare: Double = 0.30) {
        self.customers = customers
        self.days = days
        self.start = start
        self.seed = seed
        self.churnShare = churnShare
    }

    /// Checks the settings.
    ///
    /// - Throws: `SampleError.customersOutOfRange`, `.daysOutOfRange`, `.invalidStart` or
    ///   `.churnShareOutOfRange`, whose message names the setting and its valid range.
    public func validate() throws {
        guard (1...10_000_000).contains(customers) else {
            throw SampleError.customersOutOfRange(customers)
        }
        guard (7...20_000).contains(days) else {
            throw SampleError.daysOutOfRange(days)
        }
        guard let z = SampleCalendar.parse(start), SampleCalendar.civil(z).year >= 1000,
              SampleCalendar.civil(z + days).year <= 9999 else {
            throw SampleError.invalidStart(start)
        }
        guard churnShare >= 0 && churnShare <= 0.9 else {
            throw SampleError.churnShareOutOfRange(churnShare)
        }
    }

    /// Generates the log and writes `events.csv` and `customers.csv`, each atomically (temporary
    /// file in the same directory, then rename); gzip-compressed (level 6, no name or time stamp,
    /// so reproducible) with `gzip`.
    ///
    /// - Returns: Row counts, churners, events per type and file sizes (compressed with `gzip`).
    /// - Throws: What `validate()` throws, or `SampleError.writeFailed` naming the path.
    /// - Complexity: O(customers × days) time. Memory peaks below 45 bytes per event (the 20-byte
    ///   events of every customer, copied once into one array, plus a 4-byte time order); 100,000
    ///   customers over a year (6.3 million events) peak at 175 MB resident. Output is streamed
    ///   through a 1 MiB buffer.
    public func write(eventsPath: String, customersPath: String, gzip: Bool = false) throws -> SampleSummary {
        let log = try makeLog()
        let writer = SampleCSVWriter(log: log)
        var summary = log.summary()
        summary.eventsBytes = try SampleFile.write(path: eventsPath, gzip: gzip) { try writer.writeEvents(to: $0) }.file
        summary.customersBytes = try SampleFile.write(path: customersPath, gzip: gzip) { try writer.writeCustomers(to: $0) }.file
        return summary
    }

    /// Generates both files in memory (for small sizes and tests).
    ///
    /// - Returns: The bytes of events.csv and customers.csv and the summary.
    public func csvData() throws -> (events: Data, customers: Data, summary: SampleSummary) {
        let log = try makeLog()
        let writer = SampleCSVWriter(log: log)
        var events = Data(), customers = Data()
        let e = CSVOutput { events.append(contentsOf: $0) }
        try writer.writeEvents(to: e)
        let c = CSVOutput { customers.append(contentsOf: $0) }
        try writer.writeCustomers(to: c)
        var summary = log.summary()
        summary.eventsBytes = events.count
        summary.customersBytes = customers.count
        return (events, customers, summary)
    }

    /// Simulates every customer (in parallel, in fixed chunks) and orders the events by time.
    func makeLog() throws -> SampleLog {
        try validate()
        let startDay = SampleCalendar.parse(start)!
        let schedule = SampleSchedule(startDay: startDay, days: days, seed: seed)
        let simulator = CustomerSimulator(schedule: schedule, seed: seed, churnShare: churnShare)
        let chunk = 512
        let chunkCount = (customers + chunk - 1) / chunk
        let results = ChunkResults(count: chunkCount)
        let threads = Parallel.workerCount(for: chunkCount)
        let total = customers
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let c = results.claim() {
                var events = [SampleEvent]()
                events.reserveCapacity(chunk * 96)
                var profiles = [SampleCustomer]()
                profiles.reserveCapacity(chunk)
                for i in (c * chunk)..<min(total, (c + 1) * chunk) {
                    profiles.append(simulator.simulate(i, into: &events))
                }
                results.store(c, profiles, events)
            }
        }
        var allCustomers = [SampleCustomer]()
        allCustomers.reserveCapacity(customers)
        var events = [SampleEvent]()
        events.reserveCapacity(results.eventCount)
        for c in 0..<chunkCount {
            let (p, e) = results.take(c)
            allCustomers += p
            events += e
        }
        precondition(events.count < Int(UInt32.max), "more than 4 billion events; lower --customers or --days")
        let order = Self.timeOrder(events, days: days)
        return SampleLog(schedule: schedule, customers: allCustomers, events: events, order: order,
                         seed: seed, start: start)
    }

    /// Indices of `events` by (time, index): a counting sort on the day, then each day sorted.
    ///
    /// - Complexity: O(n log(n / days)) time, 4 bytes per event plus one day's keys.
    static func timeOrder(_ events: [SampleEvent], days: Int) -> [UInt32] {
        let day = SampleSchedule.secondsPerDay
        var starts = [Int](repeating: 0, count: days + 1)
        for e in events { starts[Int(e.time) / day + 1] += 1 }
        for d in 0..<days { starts[d + 1] += starts[d] }
        var fill = starts
        var order = [UInt32](repeating: 0, count: events.count)
        for (i, e) in events.enumerated() {
            let d = Int(e.time) / day
            order[fill[d]] = UInt32(i)
            fill[d] += 1
        }
        var keys = [UInt64]()
        for d in 0..<days {
            let range = starts[d]..<starts[d + 1]
            keys.removeAll(keepingCapacity: true)
            for k in range {
                let i = order[k]
                keys.append(UInt64(Int(events[Int(i)].time) - d * day) << 32 | UInt64(i))
            }
            keys.sort()
            for (j, key) in keys.enumerated() { order[range.lowerBound + j] = UInt32(truncatingIfNeeded: key) }
        }
        return order
    }
}

/// Per-chunk results filled by the worker threads.
private final class ChunkResults: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private var profiles: [[SampleCustomer]]
    private var events: [[SampleEvent]]
    private(set) var eventCount = 0

    init(count: Int) {
        self.count = count
        profiles = Array(repeating: [], count: count)
        events = Array(repeating: [], count: count)
    }

    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ c: Int, _ p: [SampleCustomer], _ e: [SampleEvent]) {
        lock.lock(); defer { lock.unlock() }
        profiles[c] = p
        events[c] = e
        eventCount += e.count
    }

    /// Hands chunk `c`'s results over, releasing them here.
    func take(_ c: Int) -> ([SampleCustomer], [SampleEvent]) {
        lock.lock(); defer { lock.unlock() }
        let r = (profiles[c], events[c])
        profiles[c] = []
        events[c] = []
        return r
    }
}

/// A generated log in memory: customers in id order, events in generation order, and `order`,
/// the event indices by time (then customer, then generation order).
struct SampleLog: Sendable {
    let schedule: SampleSchedule
    let customers: [SampleCustomer]
    let events: [SampleEvent]
    let order: [UInt32]
    let seed: UInt64
    let start: String

    /// Digits of the numeric part of customer ids (at least 6).
    var idWidth: Int { max(6, String(customers.count).count) }

    func summary() -> SampleSummary {
        var perType = [Int](repeating: 0, count: SampleEventType.allCases.count)
        for e in events { perType[Int(e.type.rawValue)] += 1 }
        var byType = [String: Int]()
        for t in SampleEventType.allCases { byType[t.name] = perType[Int(t.rawValue)] }
        return SampleSummary(
            customers: customers.count, events: events.count,
            churners: customers.filter(\.churner).count,
            newCustomers: customers.filter { $0.signup >= 0 }.count,
            eventsByType: byType, start: start,
            lastDay: SampleCalendar.format(schedule.startDay + schedule.days - 1),
            days: schedule.days, seed: seed, eventsBytes: 0, customersBytes: 0)
    }
}
