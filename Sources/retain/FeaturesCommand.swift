import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain features --events FILE --as-of DATE --out FEATURES.csv`: point-in-time feature vectors.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Build point-in-time customer feature vectors (and churn labels) from an event log.",
        discussion: reflow("""
            A feature as of date T uses only events before 00:00:00 UTC of T; a W-day window is
            T - W days <= timestamp < T. The label (--label) uses only events in [T, T + horizon).
            One row per customer with an event (or a signup) before T; with --snapshots N, one row
            per customer and date for T, T - every, T - 2*every, ... with an as_of column.
            Missing values are empty cells. The README lists every column.
            """)
    )

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("As-of date T (YYYY-MM-DD, UTC).", valueName: "date"))
    var asOf: String

    @Flag(name: .long, help: "Add the churned label (0/1) from events in [T, T + horizon).")
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

    @Flag(name: .long, help: "Print one JSON object (rows, customers, features, bad rows, seconds) on stdout.")
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

    func run() throws {
        let started = Console.seconds()
        var config = try data.requiredInput().loadConfig()
        if let churn { config.churn.definition = churn }
        if let horizon { config.churn.horizonDays = horizon }
        let t = try parseDate(asOf, option: "--as-of")
        let step = Double(try everyDays()) * 86_400
        let dates = (0..<snapshots).map { t - Double($0) * step }
        let rejects = out + ".rejects.csv"
        let reader = try data.requiredInput().reader(config, rejectsPath: rejects)
        let customers = try data.requiredInput().loadCustomers()
        var lastReport = started
        let result = try FeaturePipeline.build(
            reader: reader, spec: FeatureSpec(config: config, asOf: dates, label: label), customers: customers,
            progress: { n in
                let now = Console.seconds()
                if now - lastReport >= 1 { lastReport = now; Console.progress("read \(n) events…") }
            })
        let m = result.features
        if label, let newest = dates.max(), result.latestEvent < newest + Double(config.churn.horizonDays) * 86_400 {
            Console.info("warning: the log ends on \(formatDate(result.latestEvent)), before the label horizon of \(formatDate(newest)) closes; its labels are censored (churn overstated).")
        }
        try AtomicFile.write(m.csv(includeDate: snapshots > 1), to: out)
        let bad = result.ingest.badRows
        if !bad.isEmpty {
            let counts = bad.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", ")
            Console.info("skipped \(result.ingest.badRowCount) bad rows (\(counts)); written to \(rejects)")
        }
        let seconds = Console.seconds() - started
        if json {
            try Console.printJSON(FeaturesReport(
                rows: m.rowCount, customers: Set(m.customerIDs).count, features: m.names.count, featureNames: m.names,
                events: result.ingest.rows, badRows: result.ingest.badRowCount,
                badRowReasons: Dictionary(uniqueKeysWithValues: bad.map { ($0.key.rawValue, $0.value) }),
                snapshots: dates.sorted().map(formatDate), seconds: seconds, out: out))
        } else {
            print("Built \(m.names.count) features for \(Set(m.customerIDs).count) customers (\(m.rowCount) rows, \(snapshots) as-of date\(snapshots == 1 ? "" : "s")) from \(result.ingest.rows) events in \(String(format: "%.2f", seconds)) s.")
            print("Written to \(out)")
        }
    }
}

extension ChurnDefinition: ExpressibleByArgument {}

/// The `--json` output of `retain features`.
struct FeaturesReport: Encodable {
    let rows: Int, customers: Int, features: Int
    let featureNames: [String]
    let events: Int, badRows: Int
    let badRowReasons: [String: Int]
    let snapshots: [String]
    let seconds: Double
    let out: String

    enum CodingKeys: String, CodingKey {
        case rows, customers, features, events, snapshots, seconds, out
        case featureNames = "feature_names", badRows = "bad_rows", badRowReasons = "bad_row_reasons"
    }
}
