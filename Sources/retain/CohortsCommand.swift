import ArgumentParser
import Foundation
import RetainIO
import RetainFeatures
import RetainScoring

/// `retain cohorts --events FILE [--customers FILE] --by month`: the cohort retention triangle.
struct CohortsCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohorts",
        abstract: "Build the cohort triangle: customers by signup (or first-activity) month x months since.",
        discussion: reflow("""
            A customer's cohort is the month (or week) of their signup date in --customers, else of \
            their first event. Cell m of a cohort counts the cohort's customers with an event in \
            month cohort + m (and their share of the cohort), or with --metric revenue the purchase \
            revenue then (in total and per cohort customer). Cells outside the months the log covers \
            are empty. CSV: cohort,customers,measure,m0,m1,... with one block of rows per measure.
            """)
    )

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("Cohort and column buckets: calendar months or ISO weeks.", valueName: "month|week"))
    var by: KPIGranularity = .month

    @Option(name: .long, help: ArgumentHelp("What the cells measure: active customers (count and %) or purchase revenue (total and per customer).", valueName: "active|revenue"))
    var metric: CohortMetric = .active

    @Option(name: .long, help: ArgumentHelp("Output format.", valueName: "csv|json"))
    var format: OutputFormat = .csv

    @Option(name: .long, help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
    var out: String?

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

    func execute() throws {
        let input = try data.requiredInput()
        let config = try input.loadConfig()
        let report = try CohortsReport.compute(reader: try input.reader(config, rejectsPath: nil), roles: config.roles, by: by,
                                               metric: metric, customers: try input.loadCustomers())
        if report.ingest.badRowCount > 0 { Console.info("skipped \(report.ingest.badRowCount) bad rows") }
        let text = format == .csv ? report.csv : String(decoding: try RetainJSON.encoder(pretty: true).encode(report), as: UTF8.self) + "\n"
        if let out {
            try AtomicFile.write(text, to: out)
            Console.progress("\(report.table.cohorts.count) cohorts written to \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

extension CohortMetric: ExpressibleByArgument {}
