import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// Reads an event log once and builds point-in-time features (and labels) for every as-of date.
public enum FeaturePipeline {
    /// The features and what the read saw.
    public struct Result: Sendable {
        /// One row per customer and as-of date.
        public var features: FeatureMatrix
        /// Rows, bad rows, bytes, seconds of the read.
        public var ingest: IngestSummary
        /// Distinct customers in the log (plus customers.csv customers without events).
        public var customers: Int
        /// The latest event timestamp read (before `dataEnd`, if one was set).
        public var latestEvent: Double
    }

    /// Streams `reader` into a `FeatureAccumulator` for `spec` and finishes it.
    ///
    /// - Parameters:
    ///   - progress: Called now and then with the number of events read so far.
    /// - Throws: The reader's errors (file, line, column), `IngestError.noEventsBefore` when
    ///   no customer has an event or signup before the earliest as-of date.
    public static func build(reader: EventLogReader, spec: FeatureSpec, customers: Customers? = nil,
                             progress: ((Int) -> Void)? = nil) throws -> Result {
        var acc = try FeatureAccumulator(spec: spec)
        var seen = 0
        let ingest = try reader.read { batch in
            acc.setEventTypes(reader.eventTypes)
            batch.customer.withUnsafeBufferPointer { c in batch.time.withUnsafeBufferPointer { t in
                batch.type.withUnsafeBufferPointer { ty in batch.value.withUnsafeBufferPointer { v in
                    batch.ref.withUnsafeBufferPointer { r in
                        acc.add(customer: c, time: t, type: ty, value: v, ref: r)
                    } } } } }
            seen += batch.count
            progress?(seen)
        }
        let ids = reader.customerIDs
        let matrix = acc.finish(customerIDs: ids, signups: customers?.signups ?? [:])
        if matrix.rowCount == 0 {
            let first = spec.asOf.min() ?? 0
            throw IngestError.noEventsBefore(file: reader.source.displayName, date: formatDate(first))
        }
        var all = Set(ids)
        if let customers { all.formUnion(customers.ids) }
        return Result(features: matrix, ingest: ingest, customers: all.count, latestEvent: acc.latestEvent)
    }
}
