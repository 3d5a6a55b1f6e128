import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain metrics --events FILE --from DATE --to DATE [--by month|week]`: engagement KPIs of a period.
struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Compute the engagement KPIs marketing tracks (churn, retention, NPS, CSAT, CTR, ...) for a period.",
        discussion: reflow("""
            KPIs for [--from, --to) and, with --by, for each calendar month or ISO week in it, from \
            whatever roles the log has; the ones it cannot compute are listed with the reason. \
            The customer base: a customer joins at signup (customers.csv) or first event and is lost \
            after --inactive-days without events (default: the config's churn horizon, 30), or at a \
            cancellation with --churn cancellation; so customers at end = at start + new - lost and \
            retention = 100 - churn. --explain prints every KPI's definition and formula.
            """)
    )

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("First day of the period (YYYY-MM-DD, UTC), included.", valueName: "date"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("Day after the period (YYYY-MM-DD, UTC), excluded.", valueName: "date"))
    var to: String

    @Option(name: .long, help: ArgumentHelp("Also compute the KPIs per calendar month or ISO week (Monday) of the period.", valueName: "month|week"))
    var by: KPIGranularity?

    @Option(name: .long, help: ArgumentHelp("Event type that counts as a conversion after an email click (default: the purchase role).", valueName: "event_type"))
    var conversion: String?

    @Option(name: .long, help: ArgumentHelp("Audience size for the social engagement rate: (likes + shares + comments) / followers x 100.", valueName: "N"))
    var followers: Double?

    @Option(name: .long, help: ArgumentHelp("When a customer is lost (overrides the config): inactivity or cancellation.", valueName: "inactivity|cancellation"))
    var churn: ChurnDefinition?

    @Option(name: .long, help: ArgumentHelp("Days without events after which a customer is lost (default: the config's churn horizon_days, 30).", valueName: "days"))
    var inactiveDays: Int?

    @Flag(name: .long, help: "Print one JSON object (period totals, sub-periods, not_computed) on stdout.")
    var json = false

    @Flag(name: .long, help: "Also print each KPI's definition and formula.")
    var explain = false

    func validate() throws {
        let start = try parseDate(from, option: "--from")
        let end = try parseDate(to, option: "--to")
        guard start < end else { throw ValidationError("--from \(from) must be before --to \(to).") }
        if let followers { guard followers > 0, followers.isFinite else { throw ValidationError("--followers must be a positive number, got \(followers).") } }
        if let inactiveDays { guard inactiveDays >= 1 else { throw ValidationError("--inactive-days must be at least 1, got \(inactiveDays).") } }
        if let conversion { guard !conversion.isEmpty else { throw ValidationError("--conversion needs an event type, e.g. --conversion purchase.") } }
    }

    func run() throws {
        let config = try data.requiredInput().loadConfig()
        let spec = try KPISpec(
            roles: config.roles, from: try parseDate(from, option: "--from"), to: try parseDate(to, option: "--to"), by: by,
            churn: churn ?? config.churn.definition, inactiveDays: inactiveDays ?? config.churn.horizonDays,
            conversionEventType: conversion, followers: followers)
        let reader = try data.requiredInput().reader(config, rejectsPath: nil)
        var lastReport = Console.seconds()
        let result = try KPIPipeline.compute(reader: reader, spec: spec, customers: try data.requiredInput().loadCustomers()) { n in
            let now = Console.seconds()
            if now - lastReport >= 1 { lastReport = now; Console.progress("read \(n) events…") }
        }
        let report = result.report
        if result.ingest.badRowCount > 0 { Console.info("skipped \(result.ingest.badRowCount) bad rows") }
        for warning in report.warnings { Console.info("warning: \(warning)") }
        if json {
            try Console.printJSON(MetricsJSON(report, by: by, ingest: result.ingest, explain: explain))
        } else {
            printTable(report)
            if explain { printDefinitions(report.spec) }
        }
    }

    // MARK: Text

    private func printTable(_ r: KPIReport) {
        let spec = r.spec
        let churnText = spec.churn == .inactivity ? "lost after \(spec.inactiveDays) days without events" : "lost at cancellation"
        let conversionText = r.conversionTypes.isEmpty ? (spec.conversionEventType ?? "purchase") : r.conversionTypes.joined(separator: ", ")
        print("KPIs for \(from) to \(to) (end excluded)\(by.map { ", by \($0.rawValue)" } ?? ""): \(r.eventsInPeriod) of \(r.eventsRead) events in the period.")
        print("Customer base: \(churnText). Conversion: \(conversionText) after an email click.")
        print("")
        let columns = [r.total] + r.periods
        let labels = ["total"] + r.periods.map(periodLabel)
        let width = max(10, (labels.map(\.count).max() ?? 0) + 2)
        let labelWidth = (KPI.allCases.map(\.label.count).max() ?? 20) + 2
        print(Console.pad("KPI", labelWidth) + labels.map { Console.pad($0, width, right: true) }.joined())
        var group = ""
        let skipped = Set(r.notComputed.map(\.kpi))
        for kpi in KPI.allCases where kpi != .exitRate {
            if kpi.group != group {
                group = kpi.group
                print("-- \(group)")
            }
            if skipped.contains(kpi) && columns.allSatisfy({ $0[kpi] == nil }) { continue }
            print(Console.pad(kpi.label, labelWidth) + columns.map { Console.pad(Self.format($0[kpi], kpi.unit, kpi), width, right: true) }.joined())
        }
        let pages = Set(columns.flatMap(\.exitRates.keys)).sorted()
        if !pages.isEmpty {
            print("-- exit rate % by page")
            for page in pages {
                print(Console.pad(page, labelWidth) + columns.map { Console.pad(Self.format($0.exitRates[page], .percent, .exitRate), width, right: true) }.joined())
            }
        }
        if !r.notComputed.isEmpty {
            print("")
            print("Not computed:")
            for n in r.notComputed { print("  \(n.kpi.name): \(n.reason)") }
        }
    }

    private func printDefinitions(_ spec: KPISpec) {
        print("")
        print("Definitions (UTC; a period is [start, end)):")
        for kpi in KPI.allCases { print("  \(kpi.label) [\(kpi.rawValue)]: \(kpi.formula)") }
        print("  Settings: churn \(spec.churn.rawValue), inactive days \(spec.inactiveDays), conversion \(spec.conversionEventType ?? "purchase role")\(spec.followers.map { ", followers \(Self.plain($0))" } ?? "").")
    }

    private func periodLabel(_ p: KPIPeriod) -> String {
        let start = formatDate(p.start)
        if by == .month && start.hasSuffix("-01") { return String(start.dropLast(3)) }
        return start
    }

    static func format(_ v: Double?, _ unit: KPI.Unit, _ kpi: KPI) -> String {
        guard let v, v.isFinite else { return "—" }
        switch unit {
        case .count: return plain(v)
        case .percent, .periods: return String(format: "%.1f", v)
        case .score: return String(format: kpi == .nps ? "%.1f" : "%.2f", v)
        case .seconds: return String(format: "%.0f", v)
        case .money, .ratio: return String(format: "%.2f", v)
        }
    }

    static func plain(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

extension KPIGranularity: ExpressibleByArgument {}

/// The `--json` output of `retain metrics`.
struct MetricsJSON: Encodable {
    let report: KPIReport
    let by: KPIGranularity?
    let ingest: IngestSummary
    let explain: Bool

    init(_ report: KPIReport, by: KPIGranularity?, ingest: IngestSummary, explain: Bool) {
        self.report = report
        self.by = by
        self.ingest = ingest
        self.explain = explain
    }

    struct Settings: Encodable {
        let churnDefinition: String, inactiveDays: Int
        let conversion: String?, conversionEventTypes: [String]
        let followers: Double?
        enum CodingKeys: String, CodingKey {
            case churnDefinition = "churn_definition", inactiveDays = "inactive_days", conversion
            case conversionEventTypes = "conversion_event_types", followers
        }
    }

    struct Period: Encodable {
        let period: KPIPeriod
        let skipped: Set<KPI>
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(formatDate(period.start), forKey: Key("from"))
            try c.encode(formatDate(period.end), forKey: Key("to"))
            for kpi in KPI.allCases where kpi != .exitRate {
                // Sums of two-decimal amounts: shown to the cent, without binary noise.
                let v = period[kpi].flatMap { $0.isFinite ? $0 : nil }.map { kpi == .revenue ? ($0 * 100).rounded() / 100 : $0 }
                try c.encode(v, forKey: Key(kpi.rawValue))
            }
            if skipped.contains(.exitRate) {
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

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let spec = report.spec
        let skipped = Set(report.notComputed.filter { $0.kpi == .exitRate }.map(\.kpi))
        try c.encode(formatDate(spec.from), forKey: .from)
        try c.encode(formatDate(spec.to), forKey: .to)
        try c.encode(by?.rawValue, forKey: .by)
        try c.encode(Settings(churnDefinition: spec.churn.rawValue, inactiveDays: spec.inactiveDays,
                              conversion: spec.conversionEventType, conversionEventTypes: report.conversionTypes,
                              followers: spec.followers), forKey: .settings)
        try c.encode(report.eventsRead, forKey: .eventsRead)
        try c.encode(report.eventsInPeriod, forKey: .eventsInPeriod)
        try c.encode(ingest.badRowCount, forKey: .badRows)
        try c.encode(report.firstEvent.map(formatDate), forKey: .logFirstEvent)
        try c.encode(report.lastEvent.map(formatDate), forKey: .logLastEvent)
        try c.encode(Period(period: report.total, skipped: skipped), forKey: .total)
        try c.encode(report.periods.map { Period(period: $0, skipped: skipped) }, forKey: .periods)
        try c.encode(report.notComputed, forKey: .notComputed)
        try c.encode(report.warnings, forKey: .warnings)
        if explain {
            try c.encode(Dictionary(uniqueKeysWithValues: KPI.allCases.map { ($0.rawValue, $0.formula) }), forKey: .definitions)
        }
    }
}
