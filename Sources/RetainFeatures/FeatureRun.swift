import Foundation
import RetainCore
import RetainIO
import RetainIngest

/// `retain features` as a library call: reads the events once, builds the point-in-time features
/// (and labels) for one or more as-of dates, and writes the table as CSV (through `RetainIngest`'s
/// ``FeatureTable/writeCSV(to:asOf:)``).
///
/// ```swift
/// let input = EventInput(events: "events.csv", badRows: .skip)
/// let settings = FeatureRun.Settings(asOf: t, label: true)
/// let config = settings.config(try input.loadConfig())
/// let report = try FeatureRun.run(reader: try input.reader(config, rejectsPath: FeatureRun.rejectsPath(out: "features.csv")),
///                                 config: config, settings: settings, out: "features.csv")
/// ```
public enum FeatureRun {
    /// What to build.
    public struct Settings: Sendable, Equatable {
        /// The newest as-of instant T (00:00 UTC of the date, Unix seconds).
        public var asOf: Double
        /// Whether to add the `churned` label from events in [T, T + horizon).
        public var label: Bool
        /// Churn definition for the label (nil: the config's).
        public var churn: ChurnDefinition?
        /// Label horizon in days (nil: the config's).
        public var horizon: Int?
        /// Number of as-of dates: T, T − every, T − 2 × every, …
        public var snapshots: Int
        /// Spacing of the snapshots in days.
        public var everyDays: Int

        public init(asOf: Double, label: Bool = false, churn: ChurnDefinition? = nil, horizon: Int? = nil,
                    snapshots: Int = 1, everyDays: Int = 30) {
            self.asOf = asOf; self.label = label; self.churn = churn; self.horizon = horizon
            self.snapshots = snapshots; self.everyDays = everyDays
        }

        /// The as-of instants, newest first.
        public var dates: [Double] { (0..<snapshots).map { asOf - Double($0 * everyDays) * 86_400 } }

        /// `config` with the churn definition and horizon overrides applied.
        public func config(_ config: FeatureConfig) -> FeatureConfig {
            var c = config
            if let churn { c.churn.definition = churn }
            if let horizon { c.churn.horizonDays = horizon }
            return c
        }
    }

    /// The `in_universe` column of a labelled table (1 for `new`, `active`, `reactivated`, else 0),
    /// written just before `churned`; not a feature (it is not among the matrix's names).
    static func universeColumn(_ m: FeatureMatrix) -> FeatureTable.WrittenColumn? {
        guard m.lifecycle.count == m.rowCount else { return nil }
        return FeatureTable.WrittenColumn(name: universeColumnName, position: m.names.lastIndex(of: "churned") ?? m.names.count,
                                          values: m.universeMask.map { $0 ? 1 : 0 })
    }

    /// Name of the at-risk-universe column of `retain features --label`.
    public static let universeColumnName = "in_universe"

    /// Where skipped bad rows go: `<out>.rejects.csv`.
    public static func rejectsPath(out: String) -> String { out + ".rejects.csv" }

    /// Builds the features with `config` (already through ``Settings/config(_:)``) and writes them to
    /// `out` atomically, with an `as_of` column when there is more than one snapshot.
    ///
    /// - Parameters:
    ///   - customers: The customers table (signups, customers without events).
    ///   - progress: Called now and then with the number of events read so far.
    /// - Throws: The reader's errors (file, line, column), `IngestError.noEventsBefore`, and
    ///   `IOError` when the table cannot be written.
    public static func run(reader: EventLogReader, config: FeatureConfig, settings: Settings, customers: Customers? = nil,
                           out: String, progress: ((Int) -> Void)? = nil) throws -> FeaturesReport {
        let started = DispatchTime.now().uptimeNanoseconds
        let dates = settings.dates
        let result = try FeaturePipeline.build(reader: reader, spec: FeatureSpec(config: config, asOf: dates, label: settings.label),
                                               customers: customers, progress: progress)
        let m = result.features
        var warnings: [String] = []
        if settings.label, let newest = dates.max(), result.latestEvent < newest + Double(config.churn.horizonDays) * 86_400 {
            warnings.append("the log ends on \(formatDate(result.latestEvent)), before the label horizon of \(formatDate(newest)) closes; its labels are censored (churn overstated).")
        }
        try FeatureTable(columnNames: m.names, values: m.values, rowCount: m.rowCount, ids: m.customerIDs, source: out)
            .writeCSV(to: out, asOf: settings.snapshots > 1 ? m.asOf : nil, extra: settings.label ? universeColumn(m) : nil)
        let bad = result.ingest.badRows
        return FeaturesReport(
            rows: m.rowCount, customers: Set(m.customerIDs).count, features: m.names.count, featureNames: m.names,
            events: result.ingest.rows, badRows: result.ingest.badRowCount,
            badRowReasons: Dictionary(uniqueKeysWithValues: bad.map { ($0.key.rawValue, $0.value) }),
            snapshots: dates.sorted().map(formatDate), seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9,
            out: out, lifecycle: LifecycleCounts.perDate(m), warnings: warnings,
            badRowSummary: bad.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", "))
    }
}

/// What `retain features` built and wrote; its `--json` object when encoded.
public struct FeaturesReport: Sendable, Encodable {
    public var rows: Int, customers: Int, features: Int
    public var featureNames: [String]
    /// Events read, and bad rows skipped (by reason).
    public var events: Int, badRows: Int
    public var badRowReasons: [String: Int]
    /// The as-of dates, oldest first (YYYY-MM-DD).
    public var snapshots: [String]
    public var seconds: Double
    /// The table written.
    public var out: String
    /// Customers per lifecycle state for each as-of date, oldest first.
    public var lifecycle: [LifecycleCounts]
    /// Things the user should know (e.g. censored labels); not in the JSON.
    public var warnings: [String]
    /// Bad rows per reason in reason order, e.g. `bad_timestamp: 2, empty_field: 1`; not in the JSON.
    public var badRowSummary: String

    enum CodingKeys: String, CodingKey {
        case rows, customers, features, events, snapshots, seconds, out, lifecycle
        case featureNames = "feature_names", badRows = "bad_rows", badRowReasons = "bad_row_reasons"
    }
}

/// Customers per lifecycle state as of one date; in JSON `{"as_of": "2025-12-01", "new": 3, …,
/// "universe": 14}` with every state.
public struct LifecycleCounts: Sendable, Equatable, Encodable, CustomStringConvertible {
    /// The as-of date (YYYY-MM-DD).
    public var asOf: String
    /// Rows in each state (every state present, 0 when none).
    public var counts: [Lifecycle: Int]

    /// Rows in the at-risk universe (`new` + `active` + `reactivated`).
    public var universe: Int { Lifecycle.universe.reduce(0) { $0 + counts[$1, default: 0] } }

    /// The counts of `m`'s rows per as-of date, oldest first (empty when lifecycle was not computed).
    public static func perDate(_ m: FeatureMatrix) -> [LifecycleCounts] {
        guard m.lifecycle.count == m.rowCount else { return [] }
        var byDate = [Double: [Lifecycle: Int]]()
        for r in 0..<m.rowCount { byDate[m.asOf[r], default: [:]][m.lifecycle[r], default: 0] += 1 }
        return byDate.keys.sorted().map { t in
            var counts = byDate[t]!
            for s in Lifecycle.allCases where counts[s] == nil { counts[s] = 0 }
            return LifecycleCounts(asOf: formatDate(t), counts: counts)
        }
    }

    /// `Lifecycle as of 2025-12-01: new 3, active 10, reactivated 1, lapsed 5, churned 2 (at-risk universe 14)`.
    public var description: String {
        let parts = Lifecycle.allCases.map { "\($0.name) \(counts[$0, default: 0])" }.joined(separator: ", ")
        return "Lifecycle as of \(asOf): \(parts) (at-risk universe \(universe))"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: StringCodingKey.self)
        try c.encode(asOf, forKey: StringCodingKey("as_of"))
        for s in Lifecycle.allCases { try c.encode(counts[s, default: 0], forKey: StringCodingKey(s.name)) }
        try c.encode(universe, forKey: StringCodingKey("universe"))
    }
}
