import ArgumentParser
import Foundation
import RetainIngest
import RetainStore

extension ExportFormat: ExpressibleByArgument {}

/// `retain export --db retain.sqlite --date DATE [--list NAME ...] [--new-only] [--format csv|jsonl] --out DIR`.
struct ExportCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the marketing lists of a scored day: one file per list, atomically, mode 0600, with a manifest.",
        discussion: reflow("""
            Lists: at-risk (only the at-risk universe), high-value, win-back (lapsed or churned customers
            with value, in win-back rank order), an action id, a segment name (or action:ID /
            segment:NAME). Default: at-risk, high-value, win-back and every action except none. Columns:
            customer_id, the --customers attributes (e.g. email, plan), churn_probability and risk_tier
            (empty outside the universe), lifecycle, predicted_value, winback_rank, segment, action,
            reasons. Histories written before lifecycles export with empty lifecycle cells.
            manifest.json gives per list the file, rows, date, model id and SHA-256 checksum.
            --new-only keeps only customers who were not on the list on the previous scored day.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Score history (SQLite) written by `retain score --db`.", valueName: "file"))
    var db: String

    @Option(name: .long, help: ArgumentHelp("Scored day to export (YYYY-MM-DD).", valueName: "date"))
    var date: String

    @Option(name: .long, parsing: .upToNextOption, help: ArgumentHelp("Lists to write (repeatable; default: at-risk, high-value, win-back, every action).", valueName: "name"))
    var list: [String] = []

    @Flag(name: .long, help: "Only customers not on the list on the previous scored day.")
    var newOnly = false

    @Option(name: .long, help: ArgumentHelp("Output format.", valueName: "csv|jsonl"))
    var format: ExportFormat = .csv

    @Option(name: .long, help: ArgumentHelp("Customers table whose attributes (email, plan, ...) are carried into the lists.", valueName: "file.csv"))
    var customers: String?

    @Option(name: .long, help: ArgumentHelp("Hysteresis margin for the at-risk list (see `retain diff --help`).", valueName: "m"))
    var margin: Double = 0

    @Option(name: .long, help: ArgumentHelp("Output directory (created, mode 0700, if missing).", valueName: "dir"))
    var out: String

    func validate() throws {
        guard margin >= 0 && margin < 1 else { throw ValidationError("--margin must be in [0, 1), got \(margin).") }
    }

    func execute() throws {
        let history = try ScoreHistory(path: db, create: false)
        let attributes = try customers.map { CustomerAttributes(try Customers.read(path: $0)) }
        let export = ListExport(lists: list.isEmpty ? nil : list, newOnly: newOnly, format: format, attributes: attributes, margin: margin)
        let manifest = try export.write(from: history, date: date, to: out)
        for entry in manifest.lists {
            print("\(Console.pad(entry.list, 24))  \(Console.pad(String(entry.rows), 8, right: true))  \((out as NSString).appendingPathComponent(entry.file))")
        }
        Console.info("Wrote \(manifest.lists.count) lists for \(date) (model \(manifest.modelID))\(newOnly ? ", new since \(manifest.previousDate ?? "the start")" : "") and manifest.json to \(out).")
    }
}
