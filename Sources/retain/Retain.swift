import ArgumentParser

@main
struct Retain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retain",
        abstract: "Churn prediction, customer segments and marketing lists from customer event history.",
        discussion: reflow("""
            Typical runs (see the README for every column and option):

              retain generate --customers 5000 --out data                        # a realistic sample log
              retain features --events data/events.csv --as-of 2025-10-01 --label --out features.csv
              retain train --features table.csv --label churned --id customer_id --out churn.json
              retain segment --features table.csv --columns recency_days,n_purchase_90d --k 5 --standardize
              retain metrics --events data/events.csv --from 2025-01-01 --to 2026-01-01 --by month
              retain cohorts --events data/events.csv --by month
              retain clv --events data/events.csv --calibration-end 2025-09-30 --holdout-end 2025-12-31
              retain selftest                                                    # published reference numbers

            Results go to stdout (--json: one machine-readable object); diagnostics to stderr.
            """),
        version: RetainVersion.string,
        subcommands: [FeaturesCommand.self, TrainCommand.self, SegmentCommand.self, GenerateCommand.self, CLVCommand.self, SelftestCommand.self, MetricsCommand.self, CohortsCommand.self, ModelsCommand.self, ScoreCommand.self, HistoryCommand.self, DiffCommand.self, ExportCommand.self, DemoCommand.self]
    )

    /// Bootstraps swift-log (stderr) once, then parses and runs the command as usual.
    static func main() {
        RetainLogging.bootstrap()
        main(nil)
    }
}

/// The tool's version, printed by `retain --version` and written into model files.
enum RetainVersion {
    static let string = "0.1.0"
}
