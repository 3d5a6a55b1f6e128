import Foundation
import RetainCore
import RetainIO
import RetainIngest

/// A cohort triangle and the measure shown: the result of `retain cohorts`, and its
/// `--format json` object when encoded (``csv`` is its CSV form).
///
/// ```swift
/// let input = EventInput(events: "events.csv", customers: "customers.csv")
/// let config = try input.loadConfig()
/// let report = try CohortsReport.compute(reader: try input.reader(config, rejectsPath: nil), roles: config.roles,
///                                        by: .month, metric: .active, customers: try input.loadCustomers())
/// print(report.csv)
/// ```
public struct CohortsReport: Sendable, Encodable {
    /// The triangle (both measures).
    public var table: CohortTable
    /// The measure shown.
    public var metric: CohortMetric
    /// Rows and bad rows of the read.
    public var ingest: IngestSummary

    public init(table: CohortTable, metric: CohortMetric, ingest: IngestSummary) {
        self.table = table; self.metric = metric; self.ingest = ingest
    }

    /// Reads the events once and builds the triangle (``CohortPipeline``).
    ///
    /// - Throws: The reader's errors (file, line, column).
    public static func compute(reader: EventLogReader, roles: RoleMap, by granularity: KPIGranularity, metric: CohortMetric,
                               customers: Customers? = nil) throws -> CohortsReport {
        let (table, ingest) = try CohortPipeline.build(reader: reader, granularity: granularity, roles: roles, customers: customers)
        return CohortsReport(table: table, metric: metric, ingest: ingest)
    }

    /// The triangle as CSV (``CohortTable/csv(metric:)``).
    public var csv: String { table.csv(metric: metric) }

    struct Row: Encodable {
        let cohort: String, start: String, customers: Int
        let values: [Double?], shares: [Double?]
        let valuesKey: String, sharesKey: String
        typealias Key = StringCodingKey
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(cohort, forKey: Key("cohort"))
            try c.encode(start, forKey: Key("start"))
            try c.encode(customers, forKey: Key("customers"))
            try c.encode(values, forKey: Key(valuesKey))
            try c.encode(shares, forKey: Key(sharesKey))
        }
    }

    enum CodingKeys: String, CodingKey { case by, metric, basis, observed, columns, cohorts }

    /// The `retain cohorts --format json` object: `by`, `metric`, `basis`, the `observed` buckets,
    /// `columns`, and per cohort its start, size and cells (`active` and `active_pct`, or `revenue`
    /// rounded to the cent and `revenue_per_customer`; shares to 4 decimals).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(table.granularity.rawValue, forKey: .by)
        try c.encode(metric.rawValue, forKey: .metric)
        try c.encode(table.basis.rawValue, forKey: .basis)
        if let o = table.observed {
            try c.encode(["from": KPICalendar.label(index: o.lowerBound, by: table.granularity),
                          "to": KPICalendar.label(index: o.upperBound, by: table.granularity)], forKey: .observed)
        } else {
            try c.encodeNil(forKey: .observed)
        }
        try c.encode(table.columns, forKey: .columns)
        let rows = table.cohorts.map { k in
            Row(cohort: k.label, start: formatDate(KPICalendar.bucketStart(index: k.bucket, by: table.granularity)),
                customers: k.size,
                values: metric == .active ? k.active : k.revenue.map { $0.map { ($0 * 100).rounded() / 100 } },
                shares: (metric == .active ? k.activePercent : k.revenuePerCustomer).map { $0.map { ($0 * 10_000).rounded() / 10_000 } },
                valuesKey: metric == .active ? "active" : "revenue",
                sharesKey: metric == .active ? "active_pct" : "revenue_per_customer")
        }
        try c.encode(rows, forKey: .cohorts)
    }
}
