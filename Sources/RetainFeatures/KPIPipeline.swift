import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// Reads an event log once and computes the engagement KPIs of a period and its sub-periods.
public enum KPIPipeline {
    /// The KPIs and what the read saw.
    public struct Result: Sendable {
        /// The KPIs.
        public var report: KPIReport
        /// Rows, bad rows, bytes, seconds of the read.
        public var ingest: IngestSummary
    }

    /// Streams `reader` into a ``KPIAccumulator`` for `spec` and finishes it.
    ///
    /// - Parameters:
    ///   - customers: The customers table; its signup dates place acquisitions.
    ///   - progress: Called after each block with the number of events read so far.
    /// - Throws: The reader's errors (file, line, column).
    /// - Complexity: O(events × log sub-periods); memory O(customers × sub-periods + refs).
    public static func compute(reader: EventLogReader, spec: KPISpec, customers: Customers? = nil,
                               progress: ((Int) -> Void)? = nil) throws -> Result {
        var acc = KPIAccumulator(spec: spec)
        var seen = 0
        let ingest = try reader.read { batch in
            acc.setEventTypes(reader.eventTypes)
            acc.add(batch)
            seen += batch.count
            progress?(seen)
        }
        let report = acc.finish(customerIDs: reader.customerIDs, signups: customers?.signups ?? [:])
        return Result(report: report, ingest: ingest)
    }
}
