import Foundation
import Logging
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// The training workflows: a churn model from event history or from a prepared feature table,
/// written as a model file of kind `churn` that `Scorer` (and `retain score`) accepts.
public enum Training {
    /// Settings of `fromEvents`.
    public struct EventsOptions: Sendable, Equatable {
        /// Where the events (customers, config, roles) come from.
        public var input: EventInput
        /// Training as-of instant (Unix seconds, 00:00 UTC): no event at or after it is read.
        public var asOf: Double
        /// Churn definition and label horizon in days; nil = the config's.
        public var churn: ChurnDefinition?
        public var horizonDays: Int?
        /// Observation dates, their spacing in days, and how many of the latest are held out.
        public var snapshots: Int
        public var everyDays: Int
        public var holdout: Int
        public var classWeight: LogisticRegression.ClassWeight
        /// A fixed C; nil = chosen by forward-chaining cross-validation over `TrainingSettings.defaultGrid`.
        public var c: Double?
        /// The model file to write (bad rows, when skipped, go to `out + ".rejects.csv"`).
        public var out: String
        public var createdAt: String
        public var toolVersion: String
        /// How the risk-tier cut-offs are fixed (default: relative to the training base rate).
        public var tiers: TierRule

        public init(input: EventInput, asOf: Double, churn: ChurnDefinition? = nil, horizonDays: Int? = nil, snapshots: Int = 6,
                    everyDays: Int = 30, holdout: Int = 1, classWeight: LogisticRegression.ClassWeight = .none, c: Double? = nil,
                    out: String, createdAt: String, toolVersion: String, tiers: TierRule = .baseRate) {
            self.input = input; self.asOf = asOf; self.churn = churn; self.horizonDays = horizonDays; self.snapshots = snapshots
            self.everyDays = everyDays; self.holdout = holdout; self.classWeight = classWeight; self.c = c; self.out = out
            self.createdAt = createdAt; self.toolVersion = toolVersion; self.tiers = tiers
        }
    }

    /// Settings of `fromTable`.
    public struct TableOptions: Sendable, Equatable {
        /// The table: CSV with a header, one row per customer.
        public var path: String
        /// The 0/1 label column; an id column and a per-row weight column to leave out of the features.
        public var label: String
        public var idColumn: String?
        public var sampleWeightColumn: String?
        /// Inverse L2 penalty strength (scikit-learn's C); nil = no penalty.
        public var c: Double?
        public var tolerance: Double
        public var maxIterations: Int
        public var classWeight: LogisticRegression.ClassWeight
        /// The model file to write, if any.
        public var out: String?
        public var createdAt: String
        public var toolVersion: String
        /// How the risk-tier cut-offs of the model file are fixed (default: relative to the label's base rate).
        public var tiers: TierRule

        public init(path: String, label: String, idColumn: String? = nil, sampleWeightColumn: String? = nil, c: Double? = 1.0,
                    tolerance: Double = 1e-8, maxIterations: Int = 100, classWeight: LogisticRegression.ClassWeight = .none,
                    out: String? = nil, createdAt: String, toolVersion: String, tiers: TierRule = .baseRate) {
            self.path = path; self.label = label; self.idColumn = idColumn; self.sampleWeightColumn = sampleWeightColumn
            self.c = c; self.tolerance = tolerance; self.maxIterations = maxIterations; self.classWeight = classWeight
            self.out = out; self.createdAt = createdAt; self.toolVersion = toolVersion; self.tiers = tiers
        }
    }

    /// Trains a churn model from event history and writes its model file.
    ///
    /// Observation dates T_k = asOf − horizon − k·every (k = 0..N−1), so every label window closes by
    /// the as-of date; the latest `holdout` dates are held out. See `TrainingPipeline.train`.
    ///
    /// - Parameter logger: Gets timing lines at info level (silent by default).
    /// - Throws: `IngestError` (events, config), `ScoringError` (`.tooFewObservationDates`,
    ///   `.oneClass`, `.noUsableFeatures`), `NumericsError`, or the model file's write error.
    public static func fromEvents(_ o: EventsOptions, logger: Logger = RetainLog.silent) throws -> EventsReport {
        let started = DispatchTime.now().uptimeNanoseconds
        var cfg = try o.input.loadConfig()
        if let churn = o.churn { cfg.churn.definition = churn }
        if let horizon = o.horizonDays { cfg.churn.horizonDays = horizon }
        let settings = TrainingSettings(horizonDays: cfg.churn.horizonDays, snapshots: o.snapshots, everyDays: o.everyDays,
                                        holdout: o.holdout, classWeight: o.classWeight, cGrid: o.c.map { [$0] } ?? TrainingSettings.defaultGrid,
                                        tiers: o.tiers)
        let dates = settings.observationDates(asOf: o.asOf)
        let reader = try o.input.reader(cfg, rejectsPath: o.out + ".rejects.csv")
        let result = try FeaturePipeline.build(
            reader: reader, spec: FeatureSpec(config: cfg, asOf: dates, label: true, dataEnd: o.asOf),
            customers: try o.input.loadCustomers())
        let message = String(format: "built %d observations x %d columns in %.2f s", result.features.rowCount, result.features.names.count,
                        Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        logger.info("\(message)")
        let trained = try TrainingPipeline.train(result.features, asOf: o.asOf, config: cfg, settings: settings,
                                                 createdAt: o.createdAt, toolVersion: o.toolVersion)
        // Value model (BG/NBD + Gamma-Gamma, else a revenue rate) and high-value cut-off as of the as-of date (ValueModel).
        var bundle = trained.bundle
        let value = ValueModel.fit(try ValueModel.readHistory(try o.input.reader(cfg, rejectsPath: nil), roles: cfg.roles, asOf: o.asOf))
        bundle.value = value
        let valueNote = String(format: "note: value: %@; high_value = value >= %.2f (top %g %% of %d customers as of the training date)",
                               value.definition, value.highValueCut, 100 * value.highValueFraction, value.trainingCustomers)
        try ModelEnvelope.write(bundle, to: o.out)
        return EventsReport(bundle: bundle, fitSeconds: trained.fitSeconds, model: o.out, warnings: trained.warnings + [valueNote])
    }

    /// Fits a logistic regression on a prepared feature table and, with `out`, writes it as a churn model file.
    ///
    /// Every column but the label, id, weight and `in_universe` columns is a feature, unscaled. When
    /// the table has an `in_universe` column (written by `retain features --label`), only its rows
    /// with `in_universe` = 1 are used and the column is not a feature. The objective is
    /// scikit-learn's: summed (weighted) log-loss plus ||w||² / (2C), intercept unpenalised, solved
    /// by Newton's method. The model file scores a table with the same columns as they are
    /// (missing → the training median); risk thresholds follow `tiers` (default: relative to the
    /// label's base rate on the training rows), and the drift reference is the training rows.
    ///
    /// - Parameter logger: Gets timing lines at info level (silent by default).
    /// - Throws: `ScoringError` (`.noLabelColumn`, `.badLabel`, `.noWeightColumn`, `.badWeight`,
    ///   `.badUniverseFlag`, `.noFeatureColumns`, `.oneClass`), the table reader's `IngestError`,
    ///   `NumericsError` (e.g. separable data without a penalty).
    /// - Complexity: O(n·p²) per Newton iteration; writing the model adds O(n·p·log n).
    public static func fromTable(_ o: TableOptions, logger: Logger = RetainLog.silent) throws -> TableReport {
        let name = o.path
        let t0 = DispatchTime.now().uptimeNanoseconds
        var table = try FeatureTable.readCSV(path: o.path, idColumn: o.idColumn)
        let message = String(format: "read %d rows x %d columns from %@ in %.2f s", table.rowCount, table.columnCount, name,
                        Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        logger.info("\(message)")
        guard table.columnNames.contains(o.label) else {
            throw ScoringError.noLabelColumn(file: name, label: o.label, columns: table.columnNames)
        }
        // The at-risk universe marked by `retain features --label`: keep its rows, drop the column.
        var kept = Array(0..<table.rowCount)
        var universe: UniverseSplit?
        if o.label != universeColumn, o.sampleWeightColumn != universeColumn, table.columnNames.contains(universeColumn) {
            let (flag, rest) = try table.removingColumn(universeColumn)
            if let bad = flag.firstIndex(where: { $0 != 0 && $0 != 1 }) {
                throw ScoringError.badUniverseFlag(file: name, line: line(bad, o.path), cell: CellShape(value: flag[bad]))
            }
            kept = kept.filter { flag[$0] == 1 }
            universe = UniverseSplit(inUniverse: kept.count, outside: table.rowCount - kept.count)
            table = rest
        }
        var (y, rest) = try table.removingColumn(o.label)
        if let bad = kept.first(where: { y[$0] != 0 && y[$0] != 1 }) {
            throw ScoringError.badLabel(file: name, line: line(bad, o.path), column: o.label, cell: CellShape(value: y[bad]))
        }
        var weights: [Double]?
        if let column = o.sampleWeightColumn {
            guard rest.columnNames.contains(column) else { throw ScoringError.noWeightColumn(file: name, column: column) }
            let (w, r) = try rest.removingColumn(column)
            if let bad = kept.first(where: { !(w[$0] >= 0) }) {
                throw ScoringError.badWeight(file: name, line: line(bad, o.path), column: column, cell: CellShape(value: w[bad]))
            }
            weights = w
            rest = r
        }
        guard rest.columnCount > 0 else { throw ScoringError.noFeatureColumns(file: name, withID: o.idColumn != nil) }
        if universe != nil {
            rest = keepingRows(rest, kept)
            y = kept.map { y[$0] }
            weights = weights.map { w in kept.map { w[$0] } }
            let positives = y.reduce(0, +)
            if positives == 0 || positives == Double(y.count) { throw ScoringError.oneClass(part: .training, rows: y.count) }
        }
        let x = try Matrix(rows: rest.rowCount, columns: rest.columnCount, values: rest.values)
        if o.out == nil { rest.values = [] }  // the model file needs them (medians, drift reference); otherwise free them
        let settings = LogisticRegression(c: o.c, tolerance: o.tolerance, maxIterations: o.maxIterations, classWeight: o.classWeight)
        let tFit = DispatchTime.now().uptimeNanoseconds
        let model = try settings.fit(x, y, sampleWeights: weights)
        let fitSeconds = Double(DispatchTime.now().uptimeNanoseconds - tFit) / 1e9
        let probabilities = try model.probabilities(x)
        let fit = TableFit(source: name, label: o.label, idColumn: o.idColumn, sampleWeightColumn: o.sampleWeightColumn,
                           rows: x.rows, iterations: model.iterations, converged: model.converged,
                           trainingAUC: try Metrics.rocAUC(labels: y, scores: probabilities, weights: weights),
                           trainingLogLoss: try Metrics.logLoss(labels: y, probabilities: probabilities, weights: weights))
        let standardErrors = model.standardErrors.map(RetainJSON.finite)
        let interceptSE = RetainJSON.finite(model.interceptStandardError)
        let thresholds = tableThresholds(y: y, weights: weights, probabilities: probabilities, rule: o.tiers)
        if let out = o.out {
            let bundle = tableBundle(rest, fit: fit, model: model, standardErrors: standardErrors, interceptSE: interceptSE,
                                     probabilities: probabilities, thresholds: thresholds, universe: universe, options: o)
            try ModelEnvelope.write(bundle, to: out)
        }
        return TableReport(fit: fit, features: rest.columnNames, coefficients: model.coefficients, standardErrors: standardErrors,
                           intercept: model.intercept, interceptStandardError: interceptSE, c: model.c,
                           classWeight: o.classWeight.rawValue, fitSeconds: fitSeconds, model: o.out,
                           thresholds: thresholds, universe: universe)
    }

    /// The column of a prepared table that marks the at-risk universe (1 in, 0 outside).
    public static let universeColumn = "in_universe"

    /// Rows of a prepared table inside and outside the at-risk universe (its `in_universe` column).
    public struct UniverseSplit: Sendable, Equatable {
        public var inUniverse: Int
        public var outside: Int
    }

    /// Risk thresholds of a table model by `rule`: the base rate is the (weighted) share of label 1
    /// among the training rows, the population their (uncalibrated) probabilities.
    static func tableThresholds(y: [Double], weights: [Double]?, probabilities: [Double], rule: TierRule) -> RiskThresholds {
        let w = weights ?? [Double](repeating: 1, count: y.count)
        let total = w.reduce(0, +)
        let base = total > 0 ? zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / total : 0
        return rule.thresholds(baseRate: base, baseRows: y.count, population: probabilities,
                               populationDescription: "the \(y.count) training rows (in-sample probabilities)")
    }

    /// The table with only `rows`, in that order (ids kept alongside).
    static func keepingRows(_ t: FeatureTable, _ rows: [Int]) -> FeatureTable {
        let p = t.columnCount
        var values = [Double]()
        values.reserveCapacity(rows.count * p)
        for r in rows { values += t.values[(r * p)..<(r * p + p)] }
        return FeatureTable(columnNames: t.columnNames, values: values, rowCount: rows.count, ids: t.ids.map { ids in rows.map { ids[$0] } },
                            source: t.source)
    }

    /// The churn model file of a table fit: identity transforms (missing → training median), no
    /// calibration, thresholds as given, the training rows as drift reference.
    static func tableBundle(_ t: FeatureTable, fit: TableFit, model: LogisticModel, standardErrors: [Double?], interceptSE: Double?,
                            probabilities: [Double], thresholds: RiskThresholds, universe: UniverseSplit?, options o: TableOptions) -> ModelBundle {
        let p = t.columnCount, n = t.rowCount
        var column = [Double](repeating: 0, count: n)
        let features = t.columnNames.enumerated().map { j, name -> BundleFeature in
            var m = 0
            for r in 0..<n { let v = t.values[r * p + j]; if !v.isNaN { column[m] = v; m += 1 } }
            let present = column[0..<m].sorted()
            let median = m == 0 ? 0 : (m % 2 == 1 ? present[m / 2] : (present[m / 2 - 1] + present[m / 2]) / 2)
            return BundleFeature(name: name, impute: median, log1p: false, mean: 0, scale: 1)
        }
        let penalty = o.c.map { String(format: "C = %g (given)", $0) } ?? "no penalty"
        var notes = ["Trained on the prepared table \(fit.source) (label '\(fit.label)'): its columns are the features, used as they are; a missing value is replaced by the training median.",
                     "No holdout: the metrics in 'table' are on the training rows."]
        if let universe {
            notes.append("At-risk universe: only the \(universe.inUniverse) rows with \(universeColumn) = 1 were used (\(universe.outside) rows with 0 left out); \(universeColumn) is not a feature.")
        }
        notes.append("Risk tiers (--tiers \(o.tiers)) on the uncalibrated probability: " + thresholds.summary + ".")
        var bundle = ModelBundle(
            createdAt: o.createdAt, toolVersion: o.toolVersion, asOf: "", observationDates: [], holdoutDates: [],
            fingerprint: DataFingerprint.of(t), config: FeatureConfig(), features: features,
            coefficients: model.coefficients, intercept: model.intercept, standardErrors: standardErrors,
            interceptStandardError: interceptSE, c: o.c, cSelection: penalty, classWeight: o.classWeight.rawValue,
            calibration: nil, calibrationMethod: "none", metrics: nil, thresholds: thresholds, notes: notes)
        bundle.table = fit
        bundle.universe = universe == nil ? nil : Lifecycle.universe.map(\.name)
        bundle.trainingDistribution = Drift.fit(values: t.values, p: p, rows: Array(0..<n), columns: Array(0..<p), features: features,
                                                scores: probabilities, rowsDescription: "training rows of \(fit.source), \(n) rows")
        return bundle
    }

    /// The file line of data row `row`, for error messages ("?" if it cannot be found).
    static func line(_ row: Int, _ path: String) -> String {
        FeatureTable.physicalLine(ofDataRow: row, path: path).map(String.init) ?? "?"
    }

}
