import ArgumentParser
import Foundation
import RetainIngest
import RetainNumerics
import RetainScoring

/// `retain train --features FILE.csv --label COLUMN …`: logistic regression on a prepared feature table;
/// `retain train --events FILE --as-of DATE --out models/NAME.json`: a churn model bundle from event history.
struct TrainCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a logistic-regression churn model from event history (--events) or a prepared feature table (--features).",
        discussion: reflow("""
            With --events: observation dates T_k = as-of - horizon - k*every (k = 0..N-1), so every
            label window [T_k, T_k + horizon) closes by the as-of date and no event at or after it is
            read. The latest --holdout dates are held out (a time-based split). Preprocessing (median
            imputation, log1p for fat-tailed non-negative columns, standardisation; constant columns
            dropped) is learned on the training dates; C is chosen by forward-chaining
            cross-validation (best mean log loss over 0.001 ... 100) unless --c is given. Holdout
            metrics, a recency-only baseline and Platt calibration come from the held-out dates;
            the bundle is then refitted on the universe rows of all dates and written with a
            SHA-256 checksum.

            At-risk universe: only customers whose lifecycle at the observation date is new,
            active or reactivated are training, cross-validation, holdout, calibration and
            backtest rows (lapsed and churned customers are not "at risk"). A date before the
            holdout trains only if its label window closes by the first held-out date (d +
            horizon <= holdout date), so no training label looks past the holdout. A
            rolling-origin backtest evaluates, for every date D with an earlier date d where d +
            horizon <= D, a model fitted on those earlier dates (AUC, top-decile lift, Brier,
            base rate, recency-only baseline), printed and in --json as "backtest".

            Risk tiers (--tiers) are fixed at training on the calibrated probability and stored
            in the model: base-rate (default): medium = the training base rate b (share churned
            among the universe rows the model is fitted on), high = min(2b, (1 + b)/2), so a
            customer above the base rate is never low; absolute:HIGH,MEDIUM: the given
            probabilities; top:HIGH_FRACTION,MEDIUM_FRACTION: the probabilities above which those
            top fractions of the training population (universe rows of the latest observation
            date) lie, computed once at training.

            With --features: the table is a CSV with a header and one row per customer: numeric feature columns,
            a 0/1 label column, and optionally an id column and a sample-weight column. Every other
            column is used as a feature, unscaled. The objective is scikit-learn's: summed log-loss
            plus ||w||^2 / (2C), intercept unpenalised, solved by Newton's method (IRLS) on OpenBLAS.
            With --out it writes a churn model that retain score --features scores on a table with the
            same columns, used as they are (a missing value becomes the training median). If the
            table has an in_universe column (written by retain features --label), only its rows
            with in_universe = 1 are used and the column is not a feature. Tiers follow --tiers,
            with the base rate of the label column.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header). Exactly one of --features / --events.", valueName: "file.csv"))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Name of the 0/1 label column (with --features).", valueName: "column"))
    var label: String?

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("Training as-of date (YYYY-MM-DD, UTC): no event at or after it is read.", valueName: "date"))
    var asOf: String?

    @Option(name: .long, help: ArgumentHelp("Churn definition (overrides the config).", valueName: "inactivity|cancellation"))
    var churn: ChurnDefinition?

    @Option(name: .long, help: ArgumentHelp("Label horizon in days (overrides the config; default 30).", valueName: "days"))
    var horizon: Int?

    @Option(name: .long, help: ArgumentHelp("Number of observation dates (with --events).", valueName: "N"))
    var snapshots: Int = 6

    @Option(name: .long, help: ArgumentHelp("Spacing of the observation dates, in days (e.g. 30d).", valueName: "Nd"))
    var every: String = "30d"

    @Option(name: .long, help: ArgumentHelp("Latest observation dates held out for evaluation (with --events).", valueName: "K"))
    var holdout: Int = 1

    @Option(name: .long, help: ArgumentHelp("Name of an id column to leave out of the features.", valueName: "column"))
    var id: String?

    @Option(name: .customLong("c"), help: ArgumentHelp("Inverse L2 penalty strength (scikit-learn's C); larger is weaker. Default 1 with --features; chosen by cross-validation with --events.", valueName: "C"))
    var c: Double?

    @Flag(name: .long, help: "Fit without a penalty (fails with a clear error on perfectly separable data).")
    var noPenalty = false

    @Option(name: .long, help: ArgumentHelp("Class weighting: none or balanced (n / (2 * n_class), as scikit-learn).", valueName: "none|balanced"))
    var classWeight: LogisticRegression.ClassWeight = .none

    @Option(name: .long, help: ArgumentHelp("Name of a column of non-negative per-row weights.", valueName: "column"))
    var sampleWeight: String?

    @Option(name: .long, help: ArgumentHelp("Convergence tolerance on the largest mean-gradient component.", valueName: "tol"))
    var tol: Double = 1e-8

    @Option(name: .long, help: ArgumentHelp("Maximum Newton iterations.", valueName: "n"))
    var maxIter: Int = 100

    @Option(name: .long, help: ArgumentHelp("Write the model file (kind churn, scored by retain score) to this path, atomically.", valueName: "model.json"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp(
        "Risk tiers, fixed at training on the calibrated probability: base-rate (default: medium = training base rate b, high = min(2b, (1+b)/2); above the base rate is never low), absolute:HIGH,MEDIUM (probabilities) or top:HIGH_FRACTION,MEDIUM_FRACTION (top fractions of the training population, turned into probabilities at training).",
        valueName: "rule"))
    var tiers: String = "base-rate"

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

    func validate() throws {
        guard (features == nil) != (data.events == nil) else {
            throw ValidationError("Give exactly one of --features FILE.csv (a prepared table) or --events FILE (event history).")
        }
        if features != nil, label == nil { throw ValidationError("Missing expected argument '--label <column>' (required with --features).") }
        if data.events != nil {
            guard let asOf else { throw ValidationError("--events needs --as-of YYYY-MM-DD (the training date).") }
            _ = try parseDate(asOf, option: "--as-of")
            guard out != nil else { throw ValidationError("--events needs --out models/NAME.json (the model bundle to write).") }
            guard snapshots >= 2 else { throw ValidationError("--snapshots must be at least 2 (training and holdout dates), got \(snapshots).") }
            guard holdout >= 1, holdout < snapshots else { throw ValidationError("--holdout must be between 1 and --snapshots - 1, got \(holdout).") }
            if let horizon, horizon < 1 { throw ValidationError("--horizon must be at least 1 day, got \(horizon).") }
            guard !noPenalty else { throw ValidationError("--no-penalty is only for --features; --events always fits with an L2 penalty.") }
            _ = try everyDays()
        }
        _ = try tierRule()
        let c = self.c ?? 1.0
        guard c > 0, c.isFinite else { throw ValidationError("--c must be a positive number, got \(c). Use --no-penalty to fit without a penalty.") }
        guard tol > 0 else { throw ValidationError("--tol must be positive, got \(tol).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
    }

    func everyDays() throws -> Int {
        let digits = every.hasSuffix("d") ? String(every.dropLast()) : every
        guard let d = Int(digits), d >= 1 else { throw ValidationError("--every '\(every)': expected a number of days such as 30d.") }
        return d
    }

    func tierRule() throws -> TierRule {
        do { return try TierRule(parsing: tiers) } catch let e as ScoringError { throw ValidationError("--tiers: \(e.description)") }
    }

    func execute() throws {
        if let input = data.input, let asOf, let out {
            let report = try Training.fromEvents(Training.EventsOptions(
                input: input, asOf: try parseDate(asOf, option: "--as-of"), churn: churn, horizonDays: horizon, snapshots: snapshots,
                everyDays: try everyDays(), holdout: holdout, classWeight: classWeight, c: c, out: out,
                createdAt: Console.now(), toolVersion: RetainVersion.string, tiers: try tierRule()), logger: Console.logger)
            for w in report.warnings { Console.info(w) }
            if json { try Console.printJSON(report) } else { print(report.text) }
            return
        }
        guard let features, let label else { return }
        let report = try Training.fromTable(Training.TableOptions(
            path: features, label: label, idColumn: id, sampleWeightColumn: sampleWeight, c: noPenalty ? nil : (c ?? 1.0),
            tolerance: tol, maxIterations: maxIter, classWeight: classWeight, out: out,
            createdAt: Console.now(), toolVersion: RetainVersion.string, tiers: try tierRule()), logger: Console.logger)
        if !report.fit.converged {
            Console.info("warning: not converged after \(report.fit.iterations) iterations; raise --max-iter or --tol, or lower --c.")
        }
        if json { try Console.printJSON(report) } else { print(report.text) }
    }
}

extension LogisticRegression.ClassWeight: ExpressibleByArgument {}
