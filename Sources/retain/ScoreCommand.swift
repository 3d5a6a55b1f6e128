import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain score --events FILE --model MODEL.json --as-of DATE`: daily churn scores, flags, actions and reasons.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every customer as of a date: churn probability, risk tier, value, segment, flags, action and reasons.",
        discussion: reflow("""
            Builds the features as of --as-of (events before 00:00 UTC of that date) with the model's
            role mapping and churn definition (--config / --role override), or reads a prepared
            table with --features (the model's feature columns, and --id). Probability: the bundle's
            preprocessing, linear predictor and calibration. Tiers: the bundle's high / medium
            cut-offs (or --high / --medium). Predicted value: a CLV model's value from --clv
            (retain clv --out), else the simple CLV aov_90d x purchase_frequency_per_30d x
            (horizon / 30) / max(p, 1/24). Flags: at_risk (p >= high cut-off or in the top fraction),
            high_value (top 10 % value), detractor / promoter (nps_last 0-6 / 9-10), new (tenure < 30 days).
            Actions: the first matching rule of --rules (YAML or JSON), else the defaults.
            Drift: PSI of each feature and of the score against the bundle's training distribution.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Event log (CSV, .csv.gz, or SQLite with --table). Exactly one of --events / --features.", valueName: "file"))
    var events: String?

    @Option(name: .long, help: ArgumentHelp("A prepared feature table (CSV) with the model's feature columns.", valueName: "table.csv"))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Customer id column of --features.", valueName: "column"))
    var id: String?

    @Option(name: .long, help: ArgumentHelp("Table (or view) to read when --events is a SQLite database.", valueName: "name"))
    var table: String?

    @Option(name: .long, help: ArgumentHelp("Customers table: customer_id, signup_date and any attributes.", valueName: "file.csv"))
    var customers: String?

    @Option(name: .long, help: ArgumentHelp("Config file (YAML or JSON); default: the model's own configuration.", valueName: "file"))
    var config: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Map an event type to a role (repeatable; on top of the model's mapping).", valueName: "role=type"))
    var role: [String] = []

    @Option(name: .long, help: ArgumentHelp("Bad rows in --events: fail or skip.", valueName: "fail|skip"))
    var badRows: String = "fail"

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

    @Option(name: .long, help: ArgumentHelp("Also flag the riskiest fraction at_risk (default: the bundle's list rule; 0 = off).", valueName: "fraction"))
    var topFraction: Double?

    @Option(name: .long, help: ArgumentHelp("Fraction of customers flagged high_value by predicted value.", valueName: "fraction"))
    var highValueFraction: Double = 0.1

    @Option(name: .long, help: ArgumentHelp("Scores to write (CSV, atomically).", valueName: "scores.csv"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Score history (SQLite): write this day's records, replacing any earlier run of the same date.", valueName: "history.db"))
    var db: String?

    @Flag(name: .long, help: "Print one JSON object (customers, tiers, actions, drift, seconds, model) on stdout.")
    var json = false

    func validate() throws {
        guard (features == nil) != (events == nil) else {
            throw ValidationError("Give exactly one of --events FILE (event history) or --features TABLE.csv (a prepared feature table).")
        }
        _ = try parseDate(asOf, option: "--as-of")
        for (name, v) in [("--high", high), ("--medium", medium), ("--top-fraction", topFraction)] {
            if let v, !(0...1).contains(v) { throw ValidationError("\(name) must be between 0 and 1, got \(v).") }
        }
        guard (0...1).contains(highValueFraction) else { throw ValidationError("--high-value-fraction must be between 0 and 1, got \(highValueFraction).") }
    }

    func run() throws {
        let started = Console.seconds()
        let bundle = try loadModel(option: "--model") { try ModelBundle.load(path: model) }
        let segmentBundle = try segments.map { path in try loadModel(option: "--segments") { try SegmentBundle.load(path: path) } }
        var options = ScoringOptions()
        options.highThreshold = high
        options.mediumThreshold = medium
        options.topFraction = topFraction
        options.highValueFraction = highValueFraction
        options.clvValues = try clv.map { try Scorer.readCLV(path: $0) }
        let actionRules = try rules.map { try ActionRules.load(path: $0) } ?? ActionRules.defaults
        let scorer = Scorer(bundle: bundle, segments: segmentBundle, options: options, modelName: model)
        let date = asOf
        let timing = ProcessInfo.processInfo.environment["RETAIN_TIMING"] != nil
        var mark = started
        func phase(_ what: String) {
            guard timing else { return }
            let now = Console.seconds(); Console.info(String(format: "%@: %.3f s", what, now - mark)); mark = now
        }
        phase("load bundles")
        var result: Scorer.Result
        if features != nil {
            result = try scoreTable(scorer)  // read and scored block by block
            phase("read and score")
        } else {
            let input = try buildFeatures(bundle)
            phase("features")
            result = try scorer.score(input)
            phase("score")
        }
        actionRules.apply(to: &result.batch)
        phase("actions")
        let modelID = Self.modelID(bundle, path: model)
        if let out {
            let batch = result.batch
            try AtomicFile.write(to: out, pieces: batch.csvPieceCount()) { batch.csvPiece($0) }
            phase("csv")
        }
        if let db {
            let records = result.batch.records(date: date, modelID: modelID)
            phase("history records")
            try ScoreHistory(path: db).write(records, date: date, modelID: modelID)
            phase("history write")
        }
        let drift = result.drift
        let seconds = Console.seconds() - started
        let summary = ScoreSummary(batch: result.batch, drift: drift, seconds: seconds, model: modelID, asOf: date, out: out)
        if let d = drift, !d.featuresOver.isEmpty || (d.scorePSI ?? 0) > Drift.warningThreshold {
            Console.info(String(format: "warning: drift against the training data (PSI > %.1f): ", Drift.warningThreshold)
                         + ((d.scorePSI ?? 0) > Drift.warningThreshold ? String(format: "score (%.3f)", d.scorePSI!) + (d.featuresOver.isEmpty ? "" : "; ") : "")
                         + d.featuresOver.map { String(format: "%@ (%.3f)", $0, d.featurePSI[$0] ?? 0) }.joined(separator: ", "))
        }
        if json {
            try Console.printJSON(summary)
        } else {
            print("Scored \(summary.customers) customers as of \(date) with \(summary.model) in \(String(format: "%.2f", seconds)) s")
            print("Risk tiers: " + ["high", "medium", "low"].map { "\($0) \(summary.tiers[$0] ?? 0)" }.joined(separator: ", "))
            print("Actions: " + actionRules.actionIDs.map { "\($0) \(summary.actions[$0] ?? 0)" }.joined(separator: ", "))
            if let d = drift {
                print(String(format: "Drift: score PSI %.3f; ", d.scorePSI ?? 0) + (d.featuresOver.isEmpty ? "no feature above PSI 0.2" : "features above PSI 0.2: " + d.featuresOver.joined(separator: ", ")))
            } else {
                print("Drift: not checked (the model bundle stores no training distribution; retrain it with this version).")
            }
            if let out { print("Scores written to \(out)") }
            if let db { print("History: \(summary.customers) records for \(date) written to \(db)") }
        }
    }

    /// The model id written with every record: file name and the checksum's first 12 hex digits.
    static func modelID(_ b: ModelBundle, path: String) -> String {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return name + "@" + String(b.checksum.replacingOccurrences(of: "sha256:", with: "").prefix(12))
    }

    private func buildFeatures(_ bundle: ModelBundle) throws -> ScoringInput {
        guard let events else { throw CLIError("--events is required") }
        let data = EventInput(events: events, table: table, customers: customers, config: config, roles: role,
                              badRows: badRows == "skip" ? .skip : .fail)
        let cfg = try data.loadConfig(default: bundle.config)
        let t = try parseDate(asOf, option: "--as-of")
        let reader = try data.reader(cfg, rejectsPath: (out ?? "scores") + ".rejects.csv")
        let result = try FeaturePipeline.build(reader: reader, spec: FeatureSpec(config: cfg, asOf: [t], label: false, dataEnd: t),
                                               customers: try data.loadCustomers())
        return ScoringInput(result.features)
    }

    private func scoreTable(_ scorer: Scorer) throws -> Scorer.Result {
        guard let features else { throw CLIError("--features is required") }
        if let id, !(try FeatureTable.readHeader(path: features)).contains(id) {
            throw CLIError("\(features): no id column '\(id)' in the header.")
        }
        return try scorer.score(csv: features, idColumn: id)
    }
}

/// The `--json` output of `retain score`.
struct ScoreSummary: Encodable {
    struct DriftSummary: Encodable {
        let scorePSI: Double?
        let featuresOver: [String]
        enum CodingKeys: String, CodingKey { case scorePSI = "score_psi", featuresOver = "features_over_0_2" }
    }
    let customers: Int
    let tiers: [String: Int]
    let actions: [String: Int]
    let flags: [String: Int]
    let drift: DriftSummary?
    let seconds: Double
    let model: String
    let asOf: String
    let out: String?

    init(batch: ScoreBatch, drift: DriftReport?, seconds: Double, model: String, asOf: String, out: String?) {
        customers = batch.count
        (tiers, actions, flags) = batch.counts()
        self.drift = drift.map { DriftSummary(scorePSI: $0.scorePSI, featuresOver: $0.featuresOver) }
        self.seconds = seconds; self.model = model; self.asOf = asOf; self.out = out
    }

    enum CodingKeys: String, CodingKey { case customers, tiers, actions, flags, drift, seconds, model, out; case asOf = "as_of" }

    func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(customers, forKey: .customers)
        try k.encode(tiers, forKey: .tiers)
        try k.encode(actions, forKey: .actions)
        try k.encode(flags, forKey: .flags)
        try k.encode(drift, forKey: .drift)  // null when the bundle has no training distribution
        try k.encode(seconds, forKey: .seconds)
        try k.encode(model, forKey: .model)
        try k.encode(asOf, forKey: .asOf)
        try k.encode(out, forKey: .out)
    }
}
