import ArgumentParser
import RetainIngest
import RetainFeatures

/// `retain metrics --events FILE --from DATE --to DATE [--by month|week]`: engagement KPIs of a period.
struct MetricsCommand: AdvisedCommand {
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

    func execute() throws {
        let input = try data.requiredInput()
        let config = try input.loadConfig()
        let settings = MetricsReport.Settings(
            from: try parseDate(from, option: "--from"), to: try parseDate(to, option: "--to"), by: by, churn: churn,
            inactiveDays: inactiveDays, conversion: conversion, followers: followers, definitions: explain)
        let report = try MetricsReport.compute(reader: try input.reader(config, rejectsPath: nil), config: config, settings: settings,
                                               customers: try input.loadCustomers(), progress: Console.readProgress())
        if report.ingest.badRowCount > 0 { Console.info("skipped \(report.ingest.badRowCount) bad rows") }
        for warning in report.kpis.warnings { Console.info("warning: \(warning)") }
        if json { return try Console.printJSON(report) }
        let r = report.kpis
        print("KPIs for \(from) to \(to) (end excluded)\(by.map { ", by \($0.rawValue)" } ?? ""): \(r.eventsInPeriod) of \(r.eventsRead) events in the period.")
        print("Customer base: \(report.churnText). Conversion: \(report.conversionText) after an email click.")
        print("")
        let (header, sections) = report.table()
        let widths = (max(10, (header.dropFirst().map(\.count).max() ?? 0) + 2), (KPI.allCases.map(\.label.count).max() ?? 20) + 2)
        Console.printRows([header], firstWidth: widths.1, width: widths.0)
        for section in sections {
            print("-- \(section.title)")
            Console.printRows(section.rows, firstWidth: widths.1, width: widths.0)
        }
        if !r.notComputed.isEmpty {
            print("")
            print("Not computed:")
            for n in r.notComputed { print("  \(n.kpi.name): \(n.reason)") }
        }
        guard explain else { return }
        print("")
        print("Definitions (UTC; a period is [start, end)):")
        for kpi in KPI.allCases { print("  \(kpi.label) [\(kpi.rawValue)]: \(kpi.formula)") }
        print("  Settings: \(report.settingsText).")
    }
}

extension KPIGranularity: ExpressibleByArgument {}
