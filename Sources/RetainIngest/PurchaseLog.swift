import Foundation
import RetainCore
import RetainIO

/// A customer's purchases as transactions: one per customer and calendar day (UTC), the input of
/// the customer-lifetime-value models (`RFMSummary` in RetainNumerics).
///
/// Several purchases on one day count as one transaction whose value is their sum, as in the
/// published buy-till-you-die analyses (Fader, Hardie & Lee 2005). A purchase without a value
/// adds 0 to its day's value and is counted in ``missingValues``.
///
/// ```swift
/// let log = try PurchaseLog.read(reader, roles: config.roles)
/// let summary = try RFMSummary(customers: log.customer.map(Int.init), times: log.day, values: log.value,
///                              calibrationEnd: calEndDay, timeUnit: .week)
/// ```
public struct PurchaseLog: Sendable, Equatable {
    /// Every customer id in the log by index (purchasing or not), as the reader interned them.
    public var customerIDs: [String]
    /// Customer index of each transaction; ascending, and ascending by ``day`` within a customer.
    public var customer: [Int32]
    /// Day of each transaction: whole days since 1970-01-01 (UTC).
    public var day: [Double]
    /// Summed purchase value of each transaction (0 where no purchase of the day had a value).
    public var value: [Double]
    /// Event types with the `purchase` role that occur in the log, in order of first appearance.
    public var purchaseTypes: [String]
    /// Every event type of the log, in order of first appearance.
    public var eventTypes: [String]
    /// Events read (all types).
    public var eventCount: Int
    /// Purchase events read (before grouping by day).
    public var purchaseCount: Int
    /// Purchase events without a value (empty cell or no value column).
    public var missingValues: Int
    /// First and last day with any event (nil for an empty log); tells whether a holdout is covered.
    public var eventDays: ClosedRange<Double>?

    /// Number of transactions (customer-days with a purchase).
    public var count: Int { customer.count }

    /// Reads the purchases of an event log: events whose type has the `purchase` role in `roles`.
    ///
    /// - Parameters:
    ///   - reader: A fresh reader (it reads once).
    ///   - roles: The role mapping (config file plus `--role`); a type named `purchase` is a
    ///     purchase unless mapped otherwise.
    /// - Returns: The transactions and the reader's summary.
    /// - Throws: What the reader throws (bad rows, unreadable file).
    /// - Complexity: O(events + customers), memory O(purchase events + customers).
    public static func read(_ reader: EventLogReader, roles: RoleMap) throws -> (PurchaseLog, IngestSummary) {
        var builder = Builder()
        let summary = try reader.read { batch in builder.add(batch, eventTypes: reader.eventTypes, roles: roles) }
        return (builder.finish(customerIDs: reader.customerIDs, eventTypes: reader.eventTypes), summary)
    }

    /// Collects purchase events from event batches; `finish` groups them into transactions.
    public struct Builder: Sendable {
        var customer: [Int32] = []
        var time: [Double] = []
        var value: [Double] = []
        /// Role of each event type index, learnt as types appear (nil: not looked up yet).
        var isPurchase: [Bool] = []
        var events = 0
        var missing = 0
        var minTime = Double.infinity
        var maxTime = -Double.infinity

        public init() {}

        /// Adds the purchase events of `batch`.
        ///
        /// - Parameters:
        ///   - batch: Events with customer and type indices.
        ///   - eventTypes: The reader's event types (every index of `batch` is in it).
        ///   - roles: The role mapping.
        public mutating func add(_ batch: EventBatch, eventTypes: [String], roles: RoleMap) {
            while isPurchase.count < eventTypes.count {
                isPurchase.append(roles.role(of: eventTypes[isPurchase.count]) == .purchase)
            }
            events += batch.count
            for i in 0..<batch.count {
                let t = batch.time[i]
                minTime = min(minTime, t)
                maxTime = max(maxTime, t)
                guard isPurchase[Int(batch.type[i])] else { continue }
                let v = batch.value[i]
                customer.append(batch.customer[i])
                time.append(t)
                if v.isNaN { missing += 1; value.append(0) } else { value.append(v) }
            }
        }

        /// Adds one purchase (for readers of other formats, e.g. CDNOW).
        mutating func addPurchase(customer c: Int32, time t: Double, value v: Double) {
            events += 1
            minTime = min(minTime, t)
            maxTime = max(maxTime, t)
            customer.append(c)
            time.append(t)
            if v.isNaN { missing += 1; value.append(0) } else { value.append(v) }
        }

        /// Groups the purchases by customer and UTC day.
        ///
        /// - Complexity: O(n + customers) plus sorting each customer's purchases by time.
        public func finish(customerIDs: [String], eventTypes: [String]) -> PurchaseLog {
            let n = customer.count
            // Counting sort by customer index (stable), then by time within a customer.
            var start = [Int](repeating: 0, count: customerIDs.count + 1)
            for c in customer { start[Int(c) + 1] += 1 }
            for k in 0..<customerIDs.count { start[k + 1] += start[k] }
            var next = start
            var order = [Int](repeating: 0, count: n)
            for i in 0..<n {
                let c = Int(customer[i])
                order[next[c]] = i
                next[c] += 1
            }
            var outC = [Int32](), outD = [Double](), outV = [Double]()
            outC.reserveCapacity(n); outD.reserveCapacity(n); outV.reserveCapacity(n)
            for c in 0..<customerIDs.count where start[c + 1] > start[c] {
                var slice = Array(order[start[c]..<start[c + 1]])
                var sorted = true
                for k in 1..<max(slice.count, 1) where time[slice[k]] < time[slice[k - 1]] { sorted = false; break }
                if !sorted { slice.sort { time[$0] < time[$1] } }
                var k = 0
                while k < slice.count {
                    let d = (time[slice[k]] / 86_400).rounded(.down)
                    var sum = 0.0
                    while k < slice.count && (time[slice[k]] / 86_400).rounded(.down) == d {
                        sum += value[slice[k]]
                        k += 1
                    }
                    outC.append(Int32(c)); outD.append(d); outV.append(sum)
                }
            }
            let types = eventTypes.enumerated().filter { $0.offset < isPurchase.count && isPurchase[$0.offset] }.map(\.element)
            return PurchaseLog(
                customerIDs: customerIDs, customer: outC, day: outD, value: outV, purchaseTypes: types,
                eventTypes: eventTypes, eventCount: events, purchaseCount: n, missingValues: missing,
                eventDays: minTime <= maxTime ? (minTime / 86_400).rounded(.down)...(maxTime / 86_400).rounded(.down) : nil)
        }
    }
}
