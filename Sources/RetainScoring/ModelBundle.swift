import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// One input feature of a bundle and how it is prepared: impute, optional log1p, standardise.
public struct BundleFeature: Codable, Sendable, Equatable {
    public var name: String
    /// Replaces a missing value (the training median).
    public var impute: Double
    /// `log(1 + v)` before standardising.
    public var log1p: Bool
    public var mean: Double
    public var scale: Double

    public init(name: String, impute: Double, log1p: Bool, mean: Double, scale: Double) {
        self.name = name; self.impute = impute; self.log1p = log1p; self.mean = mean; self.scale = scale
    }

    /// The model input for a raw value (NaN = missing).
    public func apply(_ v: Double) -> Double {
        let x = v.isNaN ? impute : v
        return ((log1p ? Foundation.log1p(max(x, 0)) : x) - mean) / scale
    }
}

/// What the training data were: enough to tell whether a bundle was trained on a given log.
public struct DataFingerprint: Codable, Sendable, Equatable {
    /// Observation rows (customer × date) in training.
    public var rows: Int
    /// Distinct customers among them.
    public var customers: Int
    /// SHA-256 of the feature matrix (ids, dates, names and values), hex.
    public var sha256: String

    public init(rows: Int, customers: Int, sha256: String) { self.rows = rows; self.customers = customers; self.sha256 = sha256 }

    /// The fingerprint of a feature matrix: hashes names, then each row's id, as-of and values (bit patterns).
    public static func of(_ m: FeatureMatrix) -> DataFingerprint {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(m.values.count * 8 + m.rowCount * 24)
        for n in m.names { bytes += Array(n.utf8); bytes.append(0) }
        let p = m.names.count
        for r in 0..<m.rowCount {
            bytes += Array(m.customerIDs[r].utf8); bytes.append(0)
            withUnsafeBytes(of: m.asOf[r].bitPattern.littleEndian) { bytes += $0 }
            for j in 0..<p {
                let v = m.values[r * p + j]
                withUnsafeBytes(of: (v.isNaN ? Double.nan : v).bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return DataFingerprint(rows: m.rowCount, customers: Set(m.customerIDs).count, sha256: SHA256.hex(bytes))
    }

    /// The fingerprint of a prepared table: hashes names, then each row's id (or row number) and values.
    public static func of(_ t: FeatureTable) -> DataFingerprint {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(t.values.count * 8 + t.rowCount * 16)
        for n in t.columnNames { bytes += Array(n.utf8); bytes.append(0) }
        let p = t.columnCount
        for r in 0..<t.rowCount {
            bytes += Array((t.ids?[r] ?? String(r + 1)).utf8); bytes.append(0)
            for j in 0..<p {
                let v = t.values[r * p + j]
                withUnsafeBytes(of: (v.isNaN ? Double.nan : v).bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return DataFingerprint(rows: t.rowCount, customers: t.ids.map { Set($0).count } ?? t.rowCount, sha256: SHA256.hex(bytes))
    }
}

/// Platt scaling: calibrated probability = σ(a · z + b) where z is the model's linear predictor.
public struct PlattCalibration: Codable, Sendable, Equatable {
    public var a: Double
    public var b: Double
    /// Rows it was fitted on (the held-out dates).
    public var rows: Int
    public init(a: Double, b: Double, rows: Int) { self.a = a; self.b = b; self.rows = rows }
    public func apply(_ z: Double) -> Double { sigmoid(a * z + b) }
}

/// One bin of a reliability table.
public struct ReliabilityBin: Codable, Sendable, Equatable {
    public var count: Int
    public var meanPredicted: Double
    public var observedRate: Double
    public init(count: Int, meanPredicted: Double, observedRate: Double) {
        self.count = count; self.meanPredicted = meanPredicted; self.observedRate = observedRate
    }
    enum CodingKeys: String, CodingKey { case count; case meanPredicted = "mean_predicted"; case observedRate = "observed_rate" }
}

/// Metrics on the held-out observation dates.
public struct HoldoutMetrics: Codable, Sendable, Equatable {
    public var auc: Double
    public var averagePrecision: Double
    public var logLoss: Double
    public var brier: Double
    /// Lift of the top decile (churn rate in the top 10 % / base rate).
    public var liftTopDecile: Double
    /// Share of all churners found in the top decile.
    public var captureTopDecile: Double
    public var baseRate: Double
    public var observations: Int
    public var customers: Int
    /// Log loss and Brier after Platt calibration (fitted on these same rows: optimistic).
    public var calibratedLogLoss: Double
    public var calibratedBrier: Double
    /// AUC of a logistic regression on recency_days alone (the baseline to beat).
    public var baselineAUC: Double?
    public var reliabilityBefore: [ReliabilityBin]
    public var reliabilityAfter: [ReliabilityBin]

    public init(auc: Double, averagePrecision: Double, logLoss: Double, brier: Double, liftTopDecile: Double,
                captureTopDecile: Double, baseRate: Double, observations: Int, customers: Int,
                calibratedLogLoss: Double, calibratedBrier: Double, baselineAUC: Double?,
                reliabilityBefore: [ReliabilityBin], reliabilityAfter: [ReliabilityBin]) {
        self.auc = auc; self.averagePrecision = averagePrecision; self.logLoss = logLoss; self.brier = brier
        self.liftTopDecile = liftTopDecile; self.captureTopDecile = captureTopDecile; self.baseRate = baseRate
        self.observations = observations; self.customers = customers
        self.calibratedLogLoss = calibratedLogLoss; self.calibratedBrier = calibratedBrier; self.baselineAUC = baselineAUC
        self.reliabilityBefore = reliabilityBefore; self.reliabilityAfter = reliabilityAfter
    }

    enum CodingKeys: String, CodingKey {
        case auc, brier, observations, customers
        case averagePrecision = "average_precision", logLoss = "log_loss", liftTopDecile = "lift_top_decile"
        case captureTopDecile = "capture_top_decile", baseRate = "base_rate"
        case calibratedLogLoss = "calibrated_log_loss", calibratedBrier = "calibrated_brier", baselineAUC = "baseline_auc"
        case reliabilityBefore = "reliability_before", reliabilityAfter = "reliability_after"
    }
}

/// Risk tiers on the calibrated churn probability, fixed at training: `high` when p ≥ `high`,
/// `medium` when p ≥ `medium`, else `low`.
///
/// `rule` says how the cut-offs were set (see `TierRule`); with the default rule `base_rate`,
/// `medium` is the training base rate and `high` = min(2 × base rate, (1 + base rate) / 2), so a
/// customer above the base rate is never `low`. `topFraction` is kept so that older model files
/// (whose lists were "the top 10 %") still load; models written now store 0 and scoring ignores it.
public struct RiskThresholds: Codable, Sendable, Equatable {
    public var high: Double
    public var medium: Double
    /// The old list rule "the `topFraction` riskiest customers" (0 in models written now).
    public var topFraction: Double
    /// How the cut-offs were set, in words (absent in older model files).
    public var rule: String?
    /// Share of churned rows among the rows the model was fitted on (absent in older model files).
    public var baseRate: Double?

    public init(high: Double, medium: Double, topFraction: Double) { self.high = high; self.medium = medium; self.topFraction = topFraction }

    /// Cut-offs set by `rule` (described in words) with the training base rate; no top-fraction list rule.
    public init(rule: String, baseRate: Double?, high: Double, medium: Double) {
        self.high = high; self.medium = medium; self.topFraction = 0; self.rule = rule; self.baseRate = baseRate
    }

    enum CodingKeys: String, CodingKey { case high, medium, rule; case topFraction = "top_fraction", baseRate = "base_rate" }

    public init(from decoder: Decoder) throws {
        let k = try decoder.container(keyedBy: CodingKeys.self)
        high = try k.decode(Double.self, forKey: .high)
        medium = try k.decode(Double.self, forKey: .medium)
        topFraction = try k.decodeIfPresent(Double.self, forKey: .topFraction) ?? 0
        rule = try k.decodeIfPresent(String.self, forKey: .rule)
        baseRate = try k.decodeIfPresent(Double.self, forKey: .baseRate)
    }

    /// The tier of calibrated probability `p`: monotone in `p` (high ≥ medium ≥ low).
    public func tier(_ p: Double) -> RiskTier { p >= high ? .high : p >= medium ? .medium : .low }

    /// One line for reports: the cut-offs and the rule that set them.
    public var summary: String {
        var s = String(format: "high >= %.4f, medium >= %.4f", high, medium)
        if let rule { s += "; rule: " + rule } else if let baseRate { s += String(format: "; training base rate %.4f", baseRate) }
        if topFraction > 0 { s += String(format: "; top %.0f %% list (older model)", 100 * topFraction) }
        return s
    }
}

/// One date of the rolling-origin backtest: a model fitted on the earlier dates whose label
/// windows close by `date` (chosen C, same preprocessing rules, universe rows), evaluated on the
/// universe rows at `date`.
public struct BacktestPoint: Codable, Sendable, Equatable {
    /// The evaluation date (YYYY-MM-DD).
    public var date: String
    public var auc: Double
    public var liftTopDecile: Double
    /// Brier score of the uncalibrated probabilities.
    public var brier: Double
    public var baseRate: Double
    /// Universe rows evaluated at `date`.
    public var rows: Int
    /// AUC of a logistic regression on recency_days alone, fitted on the same rows (nil without that column).
    public var baselineAUC: Double?
    /// The training dates of this fit (YYYY-MM-DD).
    public var trainDates: [String]

    public init(date: String, auc: Double, liftTopDecile: Double, brier: Double, baseRate: Double, rows: Int,
                baselineAUC: Double?, trainDates: [String]) {
        self.date = date; self.auc = auc; self.liftTopDecile = liftTopDecile; self.brier = brier; self.baseRate = baseRate
        self.rows = rows; self.baselineAUC = baselineAUC; self.trainDates = trainDates
    }

    enum CodingKeys: String, CodingKey {
        case date, auc, brier, rows
        case liftTopDecile = "lift_top_decile", baseRate = "base_rate", baselineAUC = "baseline_auc", trainDates = "train_dates"
    }

    public func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(date, forKey: .date)
        try k.encode(auc, forKey: .auc)
        try k.encode(liftTopDecile, forKey: .liftTopDecile)
        try k.encode(brier, forKey: .brier)
        try k.encode(baseRate, forKey: .baseRate)
        try k.encode(rows, forKey: .rows)
        try k.encode(baselineAUC, forKey: .baselineAUC)  // null when there is no recency column
        try k.encode(trainDates, forKey: .trainDates)
    }
}

/// Rows of one observation date inside and outside the at-risk universe.
public struct UniverseCount: Codable, Sendable, Equatable {
    /// The observation date (YYYY-MM-DD).
    public var date: String
    public var inUniverse: Int
    public var outside: Int
    public init(date: String, inUniverse: Int, outside: Int) { self.date = date; self.inUniverse = inUniverse; self.outside = outside }
    enum CodingKeys: String, CodingKey { case date, outside; case inUniverse = "in_universe" }
}

/// One coefficient of the bundle with its inference.
public struct BundleCoefficient: Codable, Sendable, Equatable {
    public var feature: String
    public var coefficient: Double
    public var standardError: Double?
    public var z: Double?
    public var p: Double?
    /// exp(coefficient): odds ratio for +1 standard deviation of the (transformed) feature.
    public var oddsRatioPerSD: Double
    /// fightchurn's "churn impact": σ(b + coefficient) − σ(b), the change in (uncalibrated) churn
    /// probability when this feature moves +1 standard deviation from the average customer (every
    /// standardised feature at 0). Absent in bundles written before it existed.
    public var churnImpactPerSD: Double?
    enum CodingKeys: String, CodingKey {
        case feature, coefficient, z, p
        case standardError = "standard_error", oddsRatioPerSD = "odds_ratio_per_sd", churnImpactPerSD = "churn_impact_per_sd"
    }
    public init(feature: String, coefficient: Double, standardError: Double?, intercept: Double? = nil) {
        self.feature = feature; self.coefficient = coefficient; self.standardError = standardError
        z = standardError.flatMap { $0 > 0 ? coefficient / $0 : nil }
        p = z.map { erfc(abs($0) / 2.0.squareRoot()) }
        oddsRatioPerSD = exp(coefficient)
        churnImpactPerSD = intercept.map { LogisticModel.sigmoid($0 + coefficient) - LogisticModel.sigmoid($0) }
    }
}

/// How a churn model trained on a prepared feature table was fitted (absent for event-trained models).
public struct TableFit: Codable, Sendable, Equatable {
    /// The table it was trained on (as given).
    public var source: String
    /// The 0/1 label column.
    public var label: String
    /// The id column left out of the features, if any.
    public var idColumn: String?
    /// The per-row weight column, if any.
    public var sampleWeightColumn: String?
    public var rows: Int
    public var iterations: Int
    public var converged: Bool
    /// ROC AUC and log loss on the training rows (in-sample).
    public var trainingAUC: Double
    public var trainingLogLoss: Double

    public init(source: String, label: String, idColumn: String?, sampleWeightColumn: String?, rows: Int, iterations: Int,
                converged: Bool, trainingAUC: Double, trainingLogLoss: Double) {
        self.source = source; self.label = label; self.idColumn = idColumn; self.sampleWeightColumn = sampleWeightColumn
        self.rows = rows; self.iterations = iterations; self.converged = converged
        self.trainingAUC = trainingAUC; self.trainingLogLoss = trainingLogLoss
    }

    enum CodingKeys: String, CodingKey {
        case source, label, rows, iterations, converged
        case idColumn = "id_column", sampleWeightColumn = "sample_weight_column"
        case trainingAUC = "training_auc", trainingLogLoss = "training_log_loss"
    }
}

/// A trained churn model: everything needed to score new data the same way, and to tell how
/// and on what it was trained. Stored as a model file of kind `churn` (see `ModelEnvelope`:
/// format, version, kind and a SHA-256 over the content).
///
/// Trained from events (`Training.fromEvents`) it holds the learned preprocessing, holdout
/// metrics and calibration; trained on a prepared table (`Training.fromTable`) its features are
/// the table's columns used as they are (identity transform, missing → training median), with
/// `table` describing the fit and no holdout metrics.
public struct ModelBundle: ModelPayload, Equatable {
    public static let kind = ModelKind.churn

    public var format: String = ModelEnvelope.formatName
    public var formatVersion: Int = ModelEnvelope.formatVersion
    public var kind: ModelKind = .churn
    public var createdAt: String
    public var toolVersion: String
    /// The training as-of date (YYYY-MM-DD): no event at or after it was read. Empty for a model
    /// trained on a prepared table.
    public var asOf: String
    /// Observation dates, ascending (YYYY-MM-DD).
    public var observationDates: [String]
    /// The latest dates, held out for the reported metrics.
    public var holdoutDates: [String]
    public var fingerprint: DataFingerprint
    /// Churn definition and horizon of the labels.
    public var churn: FeatureConfig.Churn
    /// The full feature configuration (roles mapping, windows, groups) used to build the features.
    public var config: FeatureConfig
    public var features: [BundleFeature]
    public var coefficients: [Double]
    public var intercept: Double
    public var standardErrors: [Double?]
    public var interceptStandardError: Double?
    /// The coefficient table sorted by |z| (descending).
    public var coefficientTable: [BundleCoefficient]
    /// Inverse penalty strength; nil = unpenalised.
    public var c: Double?
    /// How C was chosen (cross-validation grid and scores, or the fallback).
    public var cSelection: String
    public var classWeight: String
    public var calibration: PlattCalibration?
    /// Isotonic calibration, fitted when the holdout has ≥ 1000 rows and ≥ 50 of each class.
    public var isotonic: IsotonicCalibration?
    /// The calibration `probabilities` applies: "platt", "isotonic" or "none".
    public var calibrationMethod: String
    /// Metrics on the held-out dates (nil for a model trained on a prepared table: see `table`).
    public var metrics: HoldoutMetrics?
    public var thresholds: RiskThresholds
    /// Preprocessing decisions and warnings, in words.
    public var notes: [String]
    /// "sha256:<hex>" over the content (see the type's documentation).
    public var checksum: String = ""
    /// Training distribution of the features and the score, for drift checks (absent in older bundles).
    public var trainingDistribution: TrainingDistribution?
    /// How a table-trained model was fitted (nil for event-trained models).
    public var table: TableFit?
    /// The lifecycle states the model learned from (`new`, `active`, `reactivated`: the at-risk
    /// universe), plus `subscribed` when the label is a cancellation (only subscribers are rows); nil
    /// when the training rows carried no lifecycle (every row was used) and in older files.
    public var universe: [String]?
    /// Rows in and outside the universe per observation date (nil in older files and table models).
    public var universeRows: [UniverseCount]?
    /// Rolling-origin backtest, one entry per observation date with an earlier closed label window
    /// (nil in older files and table models).
    public var backtest: [BacktestPoint]?
    /// Observation dates used for training before the holdout: those whose label window closes by
    /// the first held-out date (nil in older files, which trained on every date not held out).
    public var trainingDates: [String]?

    /// How `predicted_value` is defined (BG/NBD + Gamma-Gamma or a revenue rate), with the
    /// high-value cut-off taken from the training population (absent in older bundles and in
    /// table-trained ones: scoring then says so and falls back).
    public var value: ValueModel?

    enum CodingKeys: String, CodingKey {
        case kind, table, universe, backtest, value
        case universeRows = "universe_rows", trainingDates = "training_dates"
        case format, fingerprint, churn, config, features, coefficients, intercept, c, calibration, isotonic, metrics, thresholds, notes, checksum
        case calibrationMethod = "calibration_method", trainingDistribution = "training_distribution"
        case formatVersion = "format_version", createdAt = "created_at", toolVersion = "tool_version", asOf = "as_of"
        case observationDates = "observation_dates", holdoutDates = "holdout_dates"
        case standardErrors = "standard_errors", interceptStandardError = "intercept_standard_error"
        case coefficientTable = "coefficient_table", cSelection = "c_selection", classWeight = "class_weight"
    }

    public init(createdAt: String, toolVersion: String, asOf: String, observationDates: [String], holdoutDates: [String],
                fingerprint: DataFingerprint, config: FeatureConfig, features: [BundleFeature], coefficients: [Double],
                intercept: Double, standardErrors: [Double?], interceptStandardError: Double?, c: Double?, cSelection: String,
                classWeight: String, calibration: PlattCalibration?, isotonic: IsotonicCalibration? = nil, calibrationMethod: String? = nil,
                metrics: HoldoutMetrics?, thresholds: RiskThresholds, notes: [String]) {
        self.isotonic = isotonic
        self.calibrationMethod = calibrationMethod ?? (calibration == nil ? "none" : "platt")
        self.createdAt = createdAt; self.toolVersion = toolVersion; self.asOf = asOf
        self.observationDates = observationDates; self.holdoutDates = holdoutDates; self.fingerprint = fingerprint
        self.churn = config.churn; self.config = config; self.features = features
        self.coefficients = coefficients; self.intercept = intercept
        self.standardErrors = standardErrors; self.interceptStandardError = interceptStandardError
        self.coefficientTable = zip(features, zip(coefficients, standardErrors))
            .map { BundleCoefficient(feature: $0.0.name, coefficient: $0.1.0, standardError: $0.1.1, intercept: intercept) }
            .sorted { abs($0.z ?? 0) > abs($1.z ?? 0) }
        self.c = c; self.cSelection = cSelection; self.classWeight = classWeight
        self.calibration = calibration; self.metrics = metrics; self.thresholds = thresholds; self.notes = notes
    }

    /// Reads and verifies a churn model file: format, version, kind, then checksum.
    ///
    /// - Throws: `ScoringError` naming `path`: `.modelUnreadable`, `.modelNotJSON` (truncated),
    ///   `.oldModelFormat`, `.foreignModel`, `.unsupportedModelVersion`, `.wrongModelKind` (a segment
    ///   or CLV model), `.malformedModel`, `.modelChecksumMismatch` (changed).
    public static func load(path: String) throws -> ModelBundle {
        try decode(try ModelEnvelope.read(path: path), path: path)
    }

    /// Verifies and decodes churn-model bytes; `path` is only used in messages.
    public static func decode(_ data: Data, path: String) throws -> ModelBundle {
        let bundle = try ModelEnvelope.decode(ModelBundle.self, from: data, path: path)
        guard bundle.coefficients.count == bundle.features.count else {
            throw ScoringError.malformedModel(path: path, reason: "\(bundle.coefficients.count) coefficients for \(bundle.features.count) features")
        }
        return bundle
    }

    /// Writes the bundle (checksum filled in) atomically via `write`.
    public func write(to path: String, using write: (Data, String) throws -> Void) throws {
        try write(try encoded(), path)
    }

    /// The observation dates whose rows trained the holdout-evaluated model (older files: every
    /// date not held out).
    public var usedTrainingDates: [String] { trainingDates ?? observationDates.filter { !holdoutDates.contains($0) } }

    /// Column index in `matrix` of each bundle feature.
    ///
    /// - Throws: `ScoringError.missingFeatures` listing every feature the matrix lacks.
    public func columnIndices(in matrix: FeatureMatrix, model: String) throws -> [Int] {
        let index = Dictionary(matrix.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = features.map(\.name).filter { index[$0] == nil }
        guard missing.isEmpty else { throw ScoringError.missingFeatures(model: model, names: missing) }
        return features.map { index[$0.name]! }
    }

    /// The linear predictor of every row of `matrix` (before calibration).
    public func linearPredictor(_ matrix: FeatureMatrix, model: String = "model") throws -> [Double] {
        let cols = try columnIndices(in: matrix, model: model)
        let p = matrix.names.count
        return (0..<matrix.rowCount).map { r in
            var z = intercept
            for (k, j) in cols.enumerated() { z += coefficients[k] * features[k].apply(matrix.values[r * p + j]) }
            return z
        }
    }

    /// The (calibrated) churn probability of every row of `matrix`.
    public func probabilities(_ matrix: FeatureMatrix, model: String = "model") throws -> [Double] {
        try linearPredictor(matrix, model: model).map(calibrate)
    }

    /// The churn probability for linear predictor `z`, through the bundle's calibration.
    public func calibrate(_ z: Double) -> Double {
        switch calibrationMethod {
        case "isotonic": return isotonic?.apply(z) ?? sigmoid(z)
        case "platt": return calibration?.apply(z) ?? sigmoid(z)
        default: return sigmoid(z)
        }
    }
}

/// The logistic function, stable for large |z|.
func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
}
