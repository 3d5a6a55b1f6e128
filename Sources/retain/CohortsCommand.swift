import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain cohorts --events FILE [--customers FILE] --by month`: the cohort retention triangle.
struct CohortsCommand: ParsableCommand {
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

    func run() throws {
        let config = try data.requiredInput().loadConfig()
        let reader = try data.requiredInput().reader(config, rejectsPath: nil)
        let (table, ingest) = try CohortPipeline.build(reader: reader, granularity: by, roles: config.roles,
                                                       customers: try data.requiredInput().loadCustomers())
        if ingest.badRowCount > 0 { Console.info("skipped \(ingest.badRowCount) bad rows") }
        let text: String
        switch format {
        case .csv:
            text = table.csv(metric: metric)
        case .json:
            let data = try RetainJSON.encoder(pretty: true).encode(CohortsJSON(table: table, metric: metric))
            text = String(decoding: data, as: UTF8.self) + "\n"
        }
        if let out {
            try AtomicFile.write(text, to: out)
            Console.progress("\(table.cohorts.count) cohorts written to \(out)")
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

extension CohortMetric: ExpressibleByArgument {}

/// The `--format json` output of `retain cohorts`.
struct CohortsJSON: Encodable {
    let table: CohortTable
    let metric: CohortMetric

    struct Row: Encodable {
        let cohort: String, start: String, customers: Int
        let values: [Double?], shares: [Double?]
        let valuesKey: String, sharesKey: String
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
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

    func encode(to encoder: Encoder) throws {
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
