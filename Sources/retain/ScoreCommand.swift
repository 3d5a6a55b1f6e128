import ArgumentParser
import Foundation
import RetainScoring
import RetainStore

/// `retain score --events FILE --model MODEL.json --as-of DATE`: daily churn scores, flags, actions and reasons.
struct ScoreCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every customer as of a date: churn probability, risk tier, value, segment, flags, action and reasons.",
        discussion: reflow("""
            Builds the features as of --as-of (events before 00:00 UTC of that date) with the model's
            role mapping and churn definition (--config / --role override), or reads a prepared
            table with --features (the model's feature columns, and --id; an in_universe column, 0 or 1,
            marks who is in the at-risk universe). Only the at-risk universe (lifecycle new, active or
            reactivated) gets a churn probability (the bundle's preprocessing, linear predictor and
            calibration) and a risk tier (the bundle's high / medium cut-offs, or --high / --medium);
            lapsed and churned customers get empty cells, their lifecycle and, with value, a win-back
            rank. Predicted value: the bundle's value model (BG/NBD + Gamma-Gamma over 12 months with
            a 1 % monthly discount when the training log had purchases, else observed purchase value /
            max(tenure, 90 days) x 12 months), or a CLV model's value from --clv. Flags: at_risk (in the
            universe and p >= high cut-off), high_value (value >= the bundle's training-time top-10 %
            cut-off, or --high-value-cut), detractor / promoter (nps_last 0-6 / 9-10), new (tenure <
            30 days), win_back (lapsed or churned with value). No cut-off depends on who else is scored.
            Actions: the first matching rule of --rules (YAML or JSON), else the defaults (README "Actions").
            Drift: PSI of each feature and of the score against the bundle's training distribution.
            """)
    )

    @OptionGroup var data: EventOptions

    @Option(name: .long, help: ArgumentHelp("A prepared feature table (CSV) with the model's feature columns.", valueName: "table.csv"))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Customer id column of --features.", valueName: "column"))
    var id: String?

    @Option(name: .long, help: ArgumentHelp("Churn model bundle (retain train --events).", valueName: "model.json"))
    var model: String

    @Option(name: .long, help: ArgumentHelp("Segment bundle (retain segment --out).", valueName: "segments.json"))
    var segments: String?

    @Option(name: .long, help: ArgumentHelp("CLV per customer (retain clv --out: customer_id, ..., clv) used as the predicted value.", valueName: "clv.csv"))
    var clv: String?

    @Option(name: .long, help: ArgumentHelp("Action rules (YAML or JSON); default: the built-in rules.", valueName: "rules.yaml"))
    var rules: String?

    @Option(name: .long, help: ArgumentHelp("Scoring date (YYYY-MM-DD, UTC).", valueName: "date"))
    var asOf: String

    @Option(name: .long, help: ArgumentHelp("High-risk cut-off on the probability (default: the bundle's).", valueName: "p"))
    var high: Double?

    @Option(name: .long, help: ArgumentHelp("Medium-risk cut-off on the probability (default: the bundle's).", valueName: "p"))
    var medium: Double?

    @Option(name: .long, help: ArgumentHelp("high_value cut-off on the predicted value (default: the bundle's, the top 10 % of its training population).", valueName: "value"))
    var highValueCut: Double?

    @Option(name: .long, help: ArgumentHelp("Scores to write (CSV, atomically).", valueName: "scores.csv"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Score history (SQLite): write this day's records, replacing any earlier run of the same date.", valueName: "history.db"))
    var db: String?

    @Flag(name: .long, help: "Print one JSON object (customers, tiers, actions, drift, seconds, model) on stdout.")
    var json = false

    func validate() throws {
        guard (features == nil) != (data.events == nil) else {
            throw ValidationError("Give exactly one of --events FILE (event history) or --features TABLE.csv (a prepared feature table).")
        }
        _ = try parseDate(asOf, option: "--as-of")
        for (name, v) in [("--high", high), ("--medium", medium)] {
            if let v, !(0...1).contains(v) { throw ValidationError("\(name) must be between 0 and 1, got \(v).") }
        }
        if let v = highValueCut, !(v >= 0 && v.isFinite) { throw ValidationError("--high-value-cut must be a value >= 0, got \(v).") }
    }

    func execute() throws {
        let phase = Console.phaseTimer()
        let (bundle, segmentBundle) = try loadBundles()  // the one bundle-loading call
        var options = ScoringOptions()
        (options.highThreshold, options.mediumThreshold, options.highValueCut) = (high, medium, highValueCut)
        options.clvValues = try clv.map { try Scorer.readCLV(path: $0) }
        let source: DailyScoring.Source = try features.map { .table(path: $0, idColumn: id) }
            ?? .events(data.requiredInput(), rejectsPath: DailyRun.Options.rejectsPath(out: out))
        let scoring = DailyScoring(bundle: bundle, modelPath: model, segments: segmentBundle, options: options,
                                   rules: try rules.map { try ActionRules.load(path: $0) } ?? .defaults, date: asOf, source: source)
        phase("load bundles")
        let report = try DailyRun.run(DailyRun.Options(scoring: scoring, out: out, db: db), phase: phase)
        if let warning = report.drift?.warning { Console.info("warning: " + warning) }
        for note in report.notes { Console.info(note) }
        if json { return try Console.printJSON(report) }
        print("Scored \(report.customers) customers as of \(asOf) with \(report.model) in \(String(format: "%.2f", report.seconds)) s")
        print("Lifecycle: " + report.lifecycle.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
              + "; at-risk universe \(report.universe); win-back candidates \(report.winBack)")
        print("Risk tiers: " + ["high", "medium", "low"].map { "\($0) \(report.tiers[$0] ?? 0)" }.joined(separator: ", ") + " (at-risk universe only)")
        print("Actions: " + report.actionIDs.map { "\($0) \(report.actions[$0] ?? 0)" }.joined(separator: ", "))
        if let d = report.drift {
            print(String(format: "Drift: score PSI %.3f; ", d.scorePSI ?? 0) + (d.featuresOver.isEmpty ? "no feature above PSI 0.2" : "features above PSI 0.2: " + d.featuresOver.joined(separator: ", ")))
        } else {
            print("Drift: not checked (the model bundle stores no training distribution; retrain it with this version).")
        }
        if let out { print("Scores written to \(out)") }
        if let db { print("History: \(report.customers) records for \(asOf) written to \(db)") }
    }

    /// The churn bundle (--model) and the segment bundle (--segments).
    private func loadBundles() throws -> (ModelBundle, SegmentBundle?) {
        (try ModelBundle.load(path: model), try segments.map { try SegmentBundle.load(path: $0) })
    }
}
