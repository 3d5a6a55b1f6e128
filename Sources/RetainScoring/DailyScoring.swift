import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures

/// Scoring one day: the features as of the date (or a prepared feature table), the scores, the
/// action rules, and drift against the training data.
///
/// ```swift
/// let bundle = try ModelBundle.load(path: "churn.json")
/// let scoring = DailyScoring(bundle: bundle, modelPath: "churn.json", date: "2025-12-01",
///                            source: .events(EventInput(events: "events.csv"), rejectsPath: nil))
/// let result = try scoring.run()
/// ```
///
/// `RetainStore`'s `DailyRun` runs this and writes the scores CSV and the score history together.
public struct DailyScoring: Sendable {
    /// Where the rows to score come from.
    public enum Source: Sendable {
        /// An event log: features are built as of the date (events before 00:00 UTC of it) with
        /// ``config(for:bundle:)``; bad rows skipped by the input's policy go to `rejectsPath`.
        case events(EventInput, rejectsPath: String?)
        /// A prepared feature table (CSV) with the model's feature columns, read and scored block by
        /// block; `idColumn` names the customer id column (nil: rows are named by their row number).
        case table(path: String, idColumn: String?)
    }

    /// The churn model.
    public var bundle: ModelBundle
    /// Where the model was read from: names it in the model id and in error messages.
    public var modelPath: String
    /// The segment model, if any.
    public var segments: SegmentBundle?
    /// Cut-offs, fractions and CLV values.
    public var options: ScoringOptions
    /// The action rules (default: the built-in rules).
    public var rules: ActionRules
    /// The scoring date, `YYYY-MM-DD` (UTC): the key of the day in the score history.
    public var date: String
    public var source: Source

    public init(bundle: ModelBundle, modelPath: String, segments: SegmentBundle? = nil, options: ScoringOptions = ScoringOptions(),
                rules: ActionRules = .defaults, date: String, source: Source) {
        self.bundle = bundle; self.modelPath = modelPath; self.segments = segments; self.options = options
        self.rules = rules; self.date = date; self.source = source
    }

    /// The scores (actions set) and what was seen.
    public struct Result: Sendable {
        /// One row per customer, actions set.
        public var batch: ScoreBatch
        /// Drift against the bundle's training distribution (nil when the bundle stores none).
        public var drift: DriftReport?
        /// The id written with every history record (``modelID(_:path:)``).
        public var modelID: String
        /// Notes about the run (each starting `note:`), e.g. an older bundle's fallbacks.
        public var notes: [String] = []
    }

    /// The model id written with every record: the file name without extension, `@`, and the
    /// first 12 hex digits of the bundle's checksum (`churn@3f2a9c01b7de`).
    public static func modelID(_ bundle: ModelBundle, path: String) -> String {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return name + "@" + String(bundle.checksum.replacingOccurrences(of: "sha256:", with: "").prefix(12))
    }

    /// The model id of this run.
    public var modelID: String { Self.modelID(bundle, path: modelPath) }

    /// The feature config scoring uses: the input's config file if it names one, else the one the
    /// model was trained with; the input's role assignments on top.
    public static func config(for input: EventInput, bundle: ModelBundle) throws -> FeatureConfig {
        try input.loadConfig(default: bundle.config)
    }

    /// 00:00:00 UTC of `date` (`YYYY-MM-DD`) in Unix seconds.
    ///
    /// - Throws: `ScoringError.invalidDate` when `date` is not such a date.
    public static func instant(of date: String) throws -> Double {
        guard let day = try? Day(parsing: date) else { throw ScoringError.invalidDate(date) }
        return day.unixSeconds
    }

    /// Builds (or reads) the rows, scores them and applies the action rules.
    ///
    /// - Parameter phase: Called after each step with its name ("features", "score", "read and
    ///   score", "actions"), e.g. to time them.
    /// - Throws: The reader's `IngestError` (file, line, column), `IngestError.noEventsBefore`,
    ///   `ScoringError.missingFeatures` naming the features the data lack.
    public func run(phase: (String) -> Void = { _ in }) throws -> Result {
        var scorer = Scorer(bundle: bundle, segments: segments, options: options, modelName: modelPath)
        var result: Scorer.Result
        var notes: [String] = []
        switch source {
        case let .table(path, idColumn):
            if let idColumn, !(try FeatureTable.readHeader(path: path)).contains(idColumn) {
                throw ScoringError.missingIDColumn(file: path, column: idColumn)
            }
            if bundle.value?.method == .purchaseModel && options.values == nil && options.clvValues == nil {
                notes.append("note: a prepared table carries no purchase history, so predicted_value is the revenue rate from its sum_purchase_90d column (0 without it), not the model's BG/NBD + Gamma-Gamma value.")
            }
            result = try scorer.score(csv: path, idColumn: idColumn)  // read and scored block by block
            phase("read and score")
        case let .events(input, rejectsPath):
            let config = try Self.config(for: input, bundle: bundle)
            let t = try Self.instant(of: date)
            let built = try FeaturePipeline.build(reader: try input.reader(config, rejectsPath: rejectsPath),
                                                  spec: FeatureSpec(config: config, asOf: [t], label: false, dataEnd: t),
                                                  customers: try input.loadCustomers())
            phase("features")
            // Values as of the date from the purchases before it (a second read of the log).
            let valueModel: ValueModel
            if let v = bundle.value {
                valueModel = v
            } else {
                valueModel = ValueModel.fit(ValueModel.History(purchases: PurchaseLog.Builder().finish(customerIDs: [], eventTypes: []),
                                                               firstDay: [], asOfDay: t / 86_400))
                notes.append("note: the model stores no value definition (trained before values were stored); predicted_value is the revenue rate: observed purchase value / max(observed tenure, 90 days) x 12 months. Retrain to use the purchase model.")
            }
            let history = try ValueModel.readHistory(try input.reader(config, rejectsPath: nil), roles: config.roles, asOf: t)
            if scorer.options.values == nil { scorer.options.values = valueModel.estimatesByID(history) }
            phase("values")
            result = try scorer.score(ScoringInput(built.features))
            phase("score")
        }
        rules.apply(to: &result.batch)
        phase("actions")
        return Result(batch: result.batch, drift: result.drift, modelID: modelID, notes: notes + result.notes)
    }
}

extension DriftReport {
    /// What drifted beyond the threshold, e.g. `drift against the training data (PSI > 0.2):
    /// score (0.312); recency_days (0.254)`; nil when nothing did.
    public var warning: String? {
        let scoreOver = (scorePSI ?? 0) > threshold
        guard scoreOver || !featuresOver.isEmpty else { return nil }
        return String(format: "drift against the training data (PSI > %.1f): ", threshold)
            + (scoreOver ? String(format: "score (%.3f)", scorePSI ?? 0) + (featuresOver.isEmpty ? "" : "; ") : "")
            + featuresOver.map { String(format: "%@ (%.3f)", $0, featurePSI[$0] ?? 0) }.joined(separator: ", ")
    }
}

/// The `--json` report of a day's scoring: customers per tier, action and flag, drift, the model.
public struct ScoreReport: Encodable, Sendable {
    public var customers: Int
    public var tiers: [String: Int]
    public var actions: [String: Int]
    public var flags: [String: Int]
    /// Nil when the bundle stores no training distribution.
    public var drift: DriftReport?
    public var seconds: Double
    /// The model id (``DailyScoring/modelID(_:path:)``).
    public var model: String
    public var asOf: String
    /// The scores CSV written, if any.
    public var out: String?
    /// The score history written, if any (not in the JSON).
    public var db: String?
    /// Every action id in rule order (not in the JSON; `actions` has a count for each).
    public var actionIDs: [String]
    /// Customers per lifecycle state (`unknown` when not computed).
    public var lifecycle: [String: Int]
    /// Customers in the at-risk universe (given a churn probability).
    public var universe: Int
    /// Win-back candidates (flag `win_back`).
    public var winBack: Int
    /// Notes about the run (older bundle fallbacks), each starting `note:`.
    public var notes: [String]

    public init(_ result: DailyScoring.Result, date: String, seconds: Double, out: String? = nil, db: String? = nil) {
        customers = result.batch.count
        (tiers, actions, flags) = result.batch.counts()
        drift = result.drift
        self.seconds = seconds; model = result.modelID; asOf = date; self.out = out; self.db = db
        actionIDs = result.batch.actionIDs
        lifecycle = result.batch.lifecycleCounts()
        universe = result.batch.churnProbability.lazy.filter { !$0.isNaN }.count
        winBack = flags["win_back"] ?? 0
        notes = result.notes
    }

    struct DriftSummary: Encodable {
        let scorePSI: Double?
        let featuresOver: [String]
        enum CodingKeys: String, CodingKey { case scorePSI = "score_psi", featuresOver = "features_over_0_2" }
    }

    enum CodingKeys: String, CodingKey { case customers, tiers, actions, flags, drift, seconds, model, out, lifecycle, universe, notes; case asOf = "as_of", winBack = "win_back" }

    public func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(customers, forKey: .customers)
        try k.encode(tiers, forKey: .tiers)
        try k.encode(actions, forKey: .actions)
        try k.encode(flags, forKey: .flags)
        try k.encode(drift.map { DriftSummary(scorePSI: $0.scorePSI, featuresOver: $0.featuresOver) }, forKey: .drift)  // null without a training distribution
        try k.encode(seconds, forKey: .seconds)
        try k.encode(model, forKey: .model)
        try k.encode(asOf, forKey: .asOf)
        try k.encode(out, forKey: .out)
        try k.encode(lifecycle, forKey: .lifecycle)
        try k.encode(universe, forKey: .universe)
        try k.encode(winBack, forKey: .winBack)
        try k.encode(notes, forKey: .notes)
    }
}
