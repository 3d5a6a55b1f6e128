import ArgumentParser

@main
struct Retain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retain",
        abstract: "Churn prediction, customer segments and marketing lists from customer event history.",
        discussion: """
            Train a churn model or customer segments from a prepared feature table (one row per
            customer, numeric columns), e.g.:

              retain train --features features.csv --label churned --id customer_id --out models/churn.json
              retain segment --features features.csv --columns recency_days,orders,revenue --k 5 --standardize

            Results go to stdout (add --json for one machine-readable object); diagnostics to stderr.
            """,
        version: RetainVersion.string,
        subcommands: [FeaturesCommand.self, TrainCommand.self, SegmentCommand.self, GenerateCommand.self, CLVCommand.self, SelftestCommand.self, MetricsCommand.self, CohortsCommand.self]
    )
}

/// The tool's version, printed by `retain --version` and written into model files.
enum RetainVersion {
    static let string = "0.1.0"
}
