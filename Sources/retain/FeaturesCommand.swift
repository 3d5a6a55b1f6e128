import ArgumentParser
import Foundation
import RetainIngest
import RetainFeatures

/// `retain features --events FILE --as-of DATE --out FEATURES.csv`: point-in-time feature vectors.
struct FeaturesCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Build point-in-time customer feature vectors (and churn labels) from an event log.",
        discussion: reflow("""
            A feature as of date T uses only events before 00:00:00 UTC of T; a W-day window is
            T - W days <= timestamp < T. The label (--label) uses only events in [T, T + horizon).
            One row per customer with an event (or a signup) before T; with --snapshots N, one row
            per customer and date for T, T - every, T - 2*every, ... with an as_of column.
            Missing values are empty cells. The README lists every column. Every row gets a
            lifecycle state (new, active, reactivated, lapsed, churned; counts in the summary and
            --json); with --label, in_universe (before churned) marks the at-risk universe.
            """)
    )

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("As-of date T (YYYY-MM-DD, UTC).", valueName: "date"))
    var asOf: String

    @Flag(name: .long, help: "Add the churned label (0/1) from events in [T, T + horizon), and the in_universe column (1 = new, active or reactivated at T).")
    var label = false

    @Option(name: .long, help: ArgumentHelp("Churn definition for the label (overrides the config).", valueName: "inactivity|cancellation"))
    var churn: ChurnDefinition?

    @Option(name: .long, help: ArgumentHelp("Label horizon in days (overrides the config; default 30).", valueName: "days"))
    var horizon: Int?

    @Option(name: .long, help: ArgumentHelp("Number of observation dates (snapshots), newest = --as-of.", valueName: "N"))
    var snapshots: Int = 1

    @Option(name: .long, help: ArgumentHelp("Spacing of the snapshots, in days (e.g. 30d or 30).", valueName: "Nd"))
    var every: String = "30d"

    @Option(name: .long, help: ArgumentHelp("Feature table to write (CSV, atomically).", valueName: "file.csv"))
    var out: String

    @Flag(name: .long, help: "Print one JSON object (rows, customers, features, bad rows, lifecycle counts, seconds) on stdout.")
    var json = false

    func validate() throws {
        guard snapshots >= 1 else { throw ValidationError("--snapshots must be at least 1, got \(snapshots).") }
        _ = try everyDays()
        _ = try parseDate(asOf, option: "--as-of")
        if let horizon, horizon < 1 { throw ValidationError("--horizon must be at least 1 day, got \(horizon).") }
    }

    func everyDays() throws -> Int {
        let digits = every.hasSuffix("d") ? String(every.dropLast()) : every
        guard let d = Int(digits), d >= 1 else { throw ValidationError("--every '\(every)': expected a number of days such as 30d.") }
        return d
    }

    func execute() throws {
        let input = try data.requiredInput()
        let settings = FeatureRun.Settings(asOf: try parseDate(asOf, option: "--as-of"), label: label, churn: churn, horizon: horizon,
                                           snapshots: snapshots, everyDays: try everyDays())
        let config = settings.config(try input.loadConfig())
        let rejects = FeatureRun.rejectsPath(out: out)
        let report = try FeatureRun.run(reader: try input.reader(config, rejectsPath: rejects), config: config, settings: settings,
                                        customers: try input.loadCustomers(), out: out, progress: Console.readProgress())
        for warning in report.warnings { Console.info("warning: \(warning)") }
        if !report.badRowReasons.isEmpty { Console.info("skipped \(report.badRows) bad rows (\(report.badRowSummary)); written to \(rejects)") }
        if json { return try Console.printJSON(report) }
        print("Built \(report.features) features for \(report.customers) customers (\(report.rows) rows, \(snapshots) as-of date\(snapshots == 1 ? "" : "s")) from \(report.events) events in \(String(format: "%.2f", report.seconds)) s.")
        for counts in report.lifecycle { print(counts) }
        print("Written to \(out)")
    }
}

extension ChurnDefinition: ExpressibleByArgument {}
