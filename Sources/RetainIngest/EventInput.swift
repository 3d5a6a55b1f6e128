import Foundation
import RetainCore
import RetainIO

/// Where a workflow's events come from and how to read them: the event log, its SQLite table,
/// the customers table, the config file, role assignments and the bad-row policy.
///
/// The CLI's shared event options fill one of these; library users build it directly.
public struct EventInput: Sendable, Equatable {
    /// Event log: CSV with a header (`.csv` or `.csv.gz`), or a SQLite database when `table` is set.
    public var events: String
    /// Table (or view) to read when `events` is a SQLite database.
    public var table: String?
    /// Customers table: `customer_id`, `signup_date` and any attributes.
    public var customers: String?
    /// Config file (YAML or JSON): column names, roles, windows, churn definition, custom features.
    public var config: String?
    /// Role assignments `ROLE=TYPE`, applied on top of the config.
    public var roles: [String]
    /// What to do with a bad row.
    public var badRows: BadRowPolicy

    /// Creates an event input; only `events` is required.
    public init(events: String, table: String? = nil, customers: String? = nil, config: String? = nil,
                roles: [String] = [], badRows: BadRowPolicy = .fail) {
        self.events = events
        self.table = table
        self.customers = customers
        self.config = config
        self.roles = roles
        self.badRows = badRows
    }

    /// The config file (or the defaults) with the role assignments applied on top.
    public func loadConfig() throws -> FeatureConfig {
        try loadConfig(default: FeatureConfig())
    }

    /// The config file if one is given, else `fallback` (e.g. the config a model was trained
    /// with), with the role assignments applied on top.
    public func loadConfig(default fallback: FeatureConfig) throws -> FeatureConfig {
        var c = try config.map(FeatureConfig.load(path:)) ?? fallback
        var roles = c.roles
        for assignment in self.roles { try roles.parse(assignment: assignment) }
        c.roles = roles
        return c
    }

    /// The event source with the config's column names.
    public func source(_ config: FeatureConfig) throws -> EventSource {
        let mapping = try ColumnMapping(config.columns)
        if let table { return .sqlite(path: events, table: table, mapping: mapping) }
        return .csv(path: events, mapping: mapping)
    }

    /// A reader for the events; when bad rows are skipped, rejects go to `rejectsPath`.
    public func reader(_ config: FeatureConfig, rejectsPath: String?) throws -> EventLogReader {
        EventLogReader(source: try source(config), badRows: badRows,
                       rejectsPath: badRows == .skip ? rejectsPath : nil)
    }

    /// The customers table, if one is given.
    public func loadCustomers() throws -> Customers? {
        try customers.map { try Customers.read(path: $0) }
    }
}
