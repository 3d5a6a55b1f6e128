import Foundation
import RetainCore
import RetainIO
import RetainIngest

/// The engagement KPIs of a period read from an event log, with what the read saw: the result of
/// `retain metrics`, and its `--json` object when encoded.
///
/// ```swift
/// let input = EventInput(events: "events.csv")
/// let config = try input.loadConfig()
/// let report = try MetricsReport.compute(reader: try input.reader(config, rejectsPath: nil), config: config,
///                                        settings: MetricsReport.Settings(from: start, to: end, by: .month))
/// ```
public struct MetricsReport: Sendable, Encodable {
    /// What to compute; `nil` settings take the config's value.
    public struct Settings: Sendable, Equatable {
        /// The period `[from, to)` in Unix seconds (00:00 UTC of its first day and of the day after it).
        public var from: Double, to: Double
        /// Also per calendar month or ISO week.
        public var by: KPIGranularity?
        /// When a customer is lost (default: the config's churn definition).
        public var churn: ChurnDefinition?
        /// Days without events after which a customer is lost (default: the config's churn horizon).
        public var inactiveDays: Int?
        /// The conversion event type after an email click (default: the purchase role).
        public var conversion: String?
        /// Audience size for the social engagement rate.
        public var followers: Double?
        /// Whether the JSON carries every KPI's definition.
        public var definitions: Bool

        public init(from: Double, to: Double, by: KPIGranularity? = nil, churn: ChurnDefinition? = nil, inactiveDays: Int? = nil,
                    conversion: String? = nil, followers: Double? = nil, definitions: Bool = false) {
            self.from = from; self.to = to; self.by = by; self.churn = churn; self.inactiveDays = inactiveDays
            self.conversion = conversion; self.followers = followers; self.definitions = definitions
        }

        /// The KPI spec: the config's roles, and its churn definition and horizon unless overridden.
        ///
        /// - Throws: `IngestError.config` for an empty period or an invalid setting.
        public func spec(config: FeatureConfig) throws -> KPISpec {
            try KPISpec(roles: config.roles, from: from, to: to, by: by, churn: churn ?? config.churn.definition,
                        inactiveDays: inactiveDays ?? config.churn.horizonDays, conversionEventType: conversion, followers: followers)
        }
    }

    /// The KPIs of the period and of each sub-period.
    public var kpis: KPIReport
    /// Rows and bad rows of the read.
    public var ingest: IngestSummary
    /// Whether the JSON carries every KPI's definition.
    public var includesDefinitions: Bool

    public init(kpis: KPIReport, ingest: IngestSummary, includesDefinitions: Bool = false) {
        self.kpis = kpis; self.ingest = ingest; self.includesDefinitions = includesDefinitions
    }

    /// Reads the events once and computes the KPIs (``KPIPipeline``).
    ///
    /// - Parameters:
    ///   - customers: The customers table; its signup dates place acquisitions.
    ///   - progress: Called now and then with the number of events read so far.
    /// - Throws: `IngestError.config` for invalid settings, the reader's errors (file, line, column).
    public static func compute(reader: EventLogReader, config: FeatureConfig, settings: Settings, customers: Customers? = nil,
                               progress: ((Int) -> Void)? = nil) throws -> MetricsReport {
        let result = try KPIPipeline.compute(reader: reader, spec: try settings.spec(config: config), customers: customers, progress: progress)
        return MetricsReport(kpis: result.report, ingest: result.ingest, includesDefinitions: settings.definitions)
    }

    // MARK: Text

    /// `lost after 30 days without events` or `lost at cancellation`.
    public var churnText: String {
        kpis.spec.churn == .inactivity ? "lost after \(kpis.spec.inactiveDays) days without events" : "lost at cancellation"
    }

    /// The conversion event types seen (or the setting, or `purchase`).
    public var conversionText: String {
        kpis.conversionTypes.isEmpty ? (kpis.spec.conversionEventType ?? "purchase") : kpis.conversionTypes.joined(separator: ", ")
    }

    /// A sub-period's column label: `2025-03` for a calendar month, else its first day.
    public func label(_ p: KPIPeriod) -> String {
        let start = formatDate(p.start)
        if kpis.spec.granularity == .month && start.hasSuffix("-01") { return String(start.dropLast(3)) }
        return start
    }

    /// One section of the text table: a title and rows of cells (the label, then total and each sub-period).
    public struct Section: Sendable, Equatable {
        public var title: String
        public var rows: [[String]]
    }

    /// The KPI table as text cells: the header (`KPI`, `total`, sub-period labels), one section per
    /// KPI group (KPIs that could not be computed anywhere left out; a group may be empty), then the
    /// exit rate per page when there is one.
    public func table() -> (header: [String], sections: [Section]) {
        let columns = [kpis.total] + kpis.periods
        let skipped = Set(kpis.notComputed.map(\.kpi))
        var sections: [Section] = []
        for kpi in KPI.allCases where kpi != .exitRate {
            if kpi.group != sections.last?.title { sections.append(Section(title: kpi.group, rows: [])) }
            if skipped.contains(kpi) && columns.allSatisfy({ $0[kpi] == nil }) { continue }
            sections[sections.count - 1].rows.append([kpi.label] + columns.map { Self.format($0[kpi], kpi) })
        }
        let pages = Set(columns.flatMap(\.exitRates.keys)).sorted()
        if !pages.isEmpty {
            sections.append(Section(title: "exit rate % by page", rows: pages.map { page in
                [page] + columns.map { Self.format($0.exitRates[page], .exitRate) }
            }))
        }
        return (["KPI", "total"] + kpis.periods.map(label), sections)
    }

    /// A KPI value as shown in the text table: counts as integers, percentages and periods with one
    /// decimal, NPS one and CES/CSAT scores two, seconds none, money and ratios two; `—` when missing.
    public static func format(_ v: Double?, _ kpi: KPI) -> String {
        guard let v, v.isFinite else { return "—" }
        switch kpi.unit {
        case .count: return plain(v)
        case .percent, .periods: return String(format: "%.1f", v)
        case .score: return String(format: kpi == .nps ? "%.1f" : "%.2f", v)
        case .seconds: return String(format: "%.0f", v)
        case .money, .ratio: return String(format: "%.2f", v)
        }
    }

    /// Integers without a decimal point, other numbers in Swift's shortest form.
    public static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// The settings line of the definitions, e.g. `churn inactivity, inactive days 30, conversion purchase role`.
    public var settingsText: String {
        let spec = kpis.spec
        return "churn \(spec.churn.rawValue), inactive days \(spec.inactiveDays), conversion \(spec.conversionEventType ?? "purchase role")"
            + (spec.followers.map { ", followers \(Self.plain($0))" } ?? "")
    }

    // MARK: JSON

    struct SettingsJSON: Encodable {
        let churnDefinition: String, inactiveDays: Int
        let conversion: String?, conversionEventTypes: [String]
        let followers: Double?
        enum CodingKeys: String, CodingKey {
            case churnDefinition = "churn_definition", inactiveDays = "inactive_days", conversion
            case conversionEventTypes = "conversion_event_types", followers
        }
    }

    struct PeriodJSON: Encodable {
        let period: KPIPeriod
        let exitRateSkipped: Bool
        typealias Key = StringCodingKey
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(formatDate(period.start), forKey: Key("from"))
            try c.encode(formatDate(period.end), forKey: Key("to"))
            for kpi in KPI.allCases where kpi != .exitRate {
                // Sums of two-decimal amounts: shown to the cent, without binary noise.
                let v = period[kpi].flatMap { $0.isFinite ? $0 : nil }.map { kpi == .revenue ? ($0 * 100).rounded() / 100 : $0 }
                try c.encode(v, forKey: Key(kpi.rawValue))
            }
            if exitRateSkipped {
                try c.encodeNil(forKey: Key(KPI.exitRate.rawValue))
            } else {
                try c.encode(period.exitRates, forKey: Key(KPI.exitRate.rawValue))
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case from, to, by, settings, total, periods, definitions
        case warnings
        case notComputed = "not_computed", eventsRead = "events_read", eventsInPeriod = "events_in_period"
        case badRows = "bad_rows", logFirstEvent = "log_first_event", logLastEvent = "log_last_event"
    }

    /// The `retain metrics --json` object.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let spec = kpis.spec
        let exitRateSkipped = kpis.notComputed.contains { $0.kpi == .exitRate }
        try c.encode(formatDate(spec.from), forKey: .from)
        try c.encode(formatDate(spec.to), forKey: .to)
        try c.encode(spec.granularity?.rawValue, forKey: .by)
        try c.encode(SettingsJSON(churnDefinition: spec.churn.rawValue, inactiveDays: spec.inactiveDays,
                                  conversion: spec.conversionEventType, conversionEventTypes: kpis.conversionTypes,
                                  followers: spec.followers), forKey: .settings)
        try c.encode(kpis.eventsRead, forKey: .eventsRead)
        try c.encode(kpis.eventsInPeriod, forKey: .eventsInPeriod)
        try c.encode(ingest.badRowCount, forKey: .badRows)
        try c.encode(kpis.firstEvent.map(formatDate), forKey: .logFirstEvent)
        try c.encode(kpis.lastEvent.map(formatDate), forKey: .logLastEvent)
        try c.encode(PeriodJSON(period: kpis.total, exitRateSkipped: exitRateSkipped), forKey: .total)
        try c.encode(kpis.periods.map { PeriodJSON(period: $0, exitRateSkipped: exitRateSkipped) }, forKey: .periods)
        try c.encode(kpis.notComputed, forKey: .notComputed)
        try c.encode(kpis.warnings, forKey: .warnings)
        if includesDefinitions {
            try c.encode(Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, $0.formula) }), forKey: .definitions)
        }
    }
}
