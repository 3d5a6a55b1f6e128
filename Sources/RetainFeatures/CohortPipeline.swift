import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// Reads an event log once and builds its cohort triangle.
public enum CohortPipeline {
    /// Streams `reader` into a ``CohortAccumulator`` and finishes it.
    ///
    /// - Throws: The reader's errors (file, line, column).
    public static func build(reader: EventLogReader, granularity: KPIGranularity, roles: RoleMap = RoleMap(),
                             customers: Customers? = nil) throws -> (table: CohortTable, ingest: IngestSummary) {
        var acc = CohortAccumulator(granularity: granularity, roles: roles)
        let ingest = try reader.read { batch in
            acc.setEventTypes(reader.eventTypes)
            acc.add(batch)
        }
        return (acc.finish(customerIDs: reader.customerIDs, signups: customers?.signups ?? [:]), ingest)
    }
}
