import RetainCore
/// What a generator run produced.
public struct SampleSummary: Codable, Sendable, Equatable {
    /// Rows of customers.csv.
    public var customers: Int
    /// Rows of events.csv.
    public var events: Int
    /// Customers who disengage and stop inside the window (no event of theirs after their stop).
    public var churners: Int
    /// Customers who signed up inside the window.
    public var newCustomers: Int
    /// Rows per `event_type`.
    public var eventsByType: [String: Int]
    /// First day of the window (`YYYY-MM-DD`, UTC).
    public var start: String
    /// Last day of the window (inclusive).
    public var lastDay: String
    public var days: Int
    public var seed: UInt64
    /// Bytes written to events.csv and customers.csv (compressed bytes for .csv.gz; 0 when nothing was written).
    public var eventsBytes: Int
    public var customersBytes: Int

    /// Churners as a share of customers.
    public var churnShare: Double { customers == 0 ? 0 : Double(churners) / Double(customers) }

    enum CodingKeys: String, CodingKey {
        case customers, events, churners, days, seed, start
        case newCustomers = "new_customers", eventsByType = "events_by_type", lastDay = "last_day"
        case eventsBytes = "events_bytes", customersBytes = "customers_bytes"
    }
}
