import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// How a churn model is trained from snapshots of an event history.
public struct TrainingSettings: Sendable, Equatable {
    /// Label horizon in days.
    public var horizonDays: Int
    /// Observation dates (snapshots).
    public var snapshots: Int
    /// Days between observation dates.
    public var everyDays: Int
    /// The latest K observation dates are held out.
    public var holdout: Int
    public var classWeight: LogisticRegression.ClassWeight
    /// Candidate C values, ascending (warm starts run along them).
    public var cGrid: [Double]
    /// How the risk-tier cut-offs are fixed (default: relative to the training base rate).
    public var tiers: TierRule

    /// The default grid: 11 values log-spaced from 0.001 to 100.
    public static let defaultGrid: [Double] = (0...10).map { pow(10, -3 + 0.5 * Double($0)) }

    public init(horizonDays: Int = 30, snapshots: Int = 6, everyDays: Int = 30, holdout: Int = 1,
                classWeight: LogisticRegression.ClassWeight = .none, cGrid: [Double] = TrainingSettings.defaultGrid,
                tiers: TierRule = .baseRate) {
        self.horizonDays = horizonDays; self.snapshots = snapshots; self.everyDays = everyDays
        self.holdout = holdout; self.classWeight = classWeight; self.cGrid = cGrid.sorted(); self.tiers = tiers
    }

    /// Observation dates T_k = asOf − horizon − k·every (k = 0..N−1), ascending, so every label
    /// window [T_k, T_k + horizon) closes by `asOf`.
    public func observationDates(asOf: Double) -> [Double] {
        (0..<snapshots).map { asOf - Double(horizonDays) * secondsPerDay - Double($0 * everyDays) * secondsPerDay }.sorted()
    }
}

/// Preprocessing learned on training rows: the kept columns and, per column, the median
/// imputation, log1p decision and standardisation.
///
/// Rules: a column is dropped when constant (or entirely missing) on the rows; a missing value
/// is replaced by the column's median on the rows; log1p is applied when the column is
/// non-negative and fat-tailed: skewness > 2 or max > 100 × (median + 1); then each column
/// is standardised (population standard deviation).
public struct Preprocessing: Sendable, Equatable {
    /// Index in the matrix's columns of each kept feature.
    public var columns: [Int]
    public var features: [BundleFeature]
    /// Names of the dropped constant columns.
    public var dropped: [String]

    /// Learns the preprocessing of `columns` of `m` on `rows`.
    public static func fit(_ m: FeatureMatrix, rows: [Int], columns candidate: [Int]) -> Preprocessing {
        let p = m.names.count
        var kept: [Int] = [], features: [BundleFeature] = [], dropped: [String] = []
        var v: [Double] = []
        v.reserveCapacity(rows.count)
        for j in candidate {
            v.removeAll(keepingCapacity: true)
            for r in rows { let x = m.values[r * p + j]; if !x.isNaN { v.append(x) } }
            guard let lo = v.min(), let hi = v.max(), lo < hi else { dropped.append(m.names[j]); continue }
            v.sort()
            let median = v.count % 2 == 1 ? v[v.count / 2] : (v[v.count / 2 - 1] + v[v.count / 2]) / 2
            let missing = rows.count - v.count
            // Moments of the imputed column.
            let n = Double(rows.count)
            let mean0 = (v.reduce(0, +) + Double(missing) * median) / n
            var m2 = Double(missing) * (median - mean0) * (median - mean0), m3 = Double(missing) * pow(median - mean0, 3)
            for x in v { let d = x - mean0; m2 += d * d; m3 += d * d * d }
            m2 /= n; m3 /= n
            let skew = m2 > 0 ? m3 / pow(m2, 1.5) : 0
            let log1p = lo >= 0 && (skew > 2 || hi > 100 * (median + 1))
            var s = 0.0, s2 = 0.0
            func t(_ x: Double) -> Double { log1p ? Foundation.log1p(x) : x }
            for x in v { let y = t(x); s += y }
            s += Double(missing) * t(median)
            let mean = s / n
            for x in v { let d = t(x) - mean; s2 += d * d }
            s2 += Double(missing) * (t(median) - mean) * (t(median) - mean)
            let sd = (s2 / n).squareRoot()
            guard sd > 0 else { dropped.append(m.names[j]); continue }
            kept.append(j)
            features.append(BundleFeature(name: m.names[j], impute: median, log1p: log1p, mean: mean, scale: sd))
        }
        return Preprocessing(columns: kept, features: features, dropped: dropped)
    }

    /// The model inputs of `rows` (row-major, one column per kept feature).
    public func design(_ m: FeatureMatrix, rows: [Int]) throws -> Matrix {
        let p = m.names.count, q = columns.count
        var out = [Double](repeating: 0, count: rows.count * q)
        for (i, r) in rows.enumerated() {
            for (k, j) in columns.enumerated() { out[i * q + k] = features[k].apply(m.values[r * p + j]) }
        }
        return try Matrix(rows: rows.count, columns: q, values: out)
    }
}

/// One forward-chaining cross-validation fold: train on `trainDates`, validate on `validationDate`.
public struct CVFold: Sendable, Equatable {
    public var trainDates: [Double]
    public var validationDate: Double
}

/// The observation dates of a run by role: training dates (label window closed by the first
/// held-out date), dates dropped because their label window overlaps the holdout, held-out dates.
public struct DateRoles: Sendable, Equatable {
    public var training: [Double]
    public var dropped: [Double]
    public var holdout: [Double]
}

/// Everything a training run produced.
public struct TrainingResult: Sendable {
    public var bundle: ModelBundle
    /// Rows of the matrix used for training and held out (universe rows only).
    public var trainRows: [Int]
    public var holdoutRows: [Int]
    /// Training, dropped and held-out observation dates.
    public var dates: DateRoles
    public var folds: [CVFold]
    /// Mean validation log loss per C (empty when C fell back to 1).
    public var cScores: [(c: Double, logLoss: Double)]
    /// Diagnostics for stderr (correlated pairs, fallbacks).
    public var warnings: [String]
    /// Seconds spent in preprocessing, cross-validation and fits.
    public var fitSeconds: Double
}

/// Trains a churn model from a labelled feature matrix built at several observation dates.
public enum TrainingPipeline {
    /// The observation dates by role: the latest `holdout` dates are held out; an earlier date
    /// trains only when its label window closes by the first held-out date (d + horizon ≤ it),
    /// so no training label uses events after the holdout date; the others are dropped.
    public static func dateRoles(dates: [Double], holdout: Int, horizonSeconds: Double) -> DateRoles {
        let sorted = dates.sorted()
        let held = Array(sorted.suffix(holdout)), earlier = sorted.dropLast(holdout)
        guard let first = held.first else { return DateRoles(training: Array(earlier), dropped: [], holdout: []) }
        return DateRoles(training: earlier.filter { $0 + horizonSeconds <= first }, dropped: earlier.filter { $0 + horizonSeconds > first },
                         holdout: held)
    }

    /// Row indices of the training dates and of the held-out (latest `holdout`) dates: only rows in
    /// the at-risk universe (`FeatureMatrix.inUniverse(row:)`), and only training dates whose label
    /// window closes by the first held-out date (see `dateRoles`).
    public static func split(_ m: FeatureMatrix, dates: [Double], holdout: Int, horizonSeconds: Double = 0) -> (train: [Int], holdout: [Int]) {
        let roles = dateRoles(dates: dates, holdout: holdout, horizonSeconds: horizonSeconds)
        let held = Set(roles.holdout), training = Set(roles.training)
        var train: [Int] = [], test: [Int] = []
        for r in 0..<m.rowCount where m.inUniverse(row: r) {
            if held.contains(m.asOf[r]) { test.append(r) } else if training.contains(m.asOf[r]) { train.append(r) }
        }
        return (train, test)
    }

    /// Universe rows of the matrix at each of `dates`, in row order.
    static func universeRows(_ m: FeatureMatrix, dates: [Double]) -> [Double: [Int]] {
        let wanted = Set(dates)
        var out: [Double: [Int]] = [:]
        for r in 0..<m.rowCount where wanted.contains(m.asOf[r]) && m.inUniverse(row: r) { out[m.asOf[r], default: []].append(r) }
        return out
    }

    /// Forward-chaining folds over the training dates: fold i validates on date i and trains on
    /// every earlier date whose label window closes by it (d + horizon ≤ date i).
    public static func folds(trainDates: [Double], horizonSeconds: Double) -> [CVFold] {
        let d = trainDates.sorted()
        return d.indices.compactMap { i in
            let train = d[..<i].filter { $0 + horizonSeconds <= d[i] }
            return train.isEmpty ? nil : CVFold(trainDates: Array(train), validationDate: d[i])
        }
    }

    /// Fits the model on the at-risk universe: preprocessing and C on the training dates, holdout
    /// metrics and calibration on the held-out dates, a rolling-origin backtest, then a refit on
    /// all dates with the chosen C and risk tiers fixed by `settings.tiers`.
    ///
    /// Only rows with `m.inUniverse(row:)` (lifecycle `new`, `active` or `reactivated` at their
    /// observation date; every row when the matrix has no lifecycle) enter any fit, fold, holdout,
    /// calibration, backtest or threshold. A date before the holdout trains only when its label
    /// window closes by the first held-out date (`dateRoles`).
    ///
    /// - Throws: `ScoringError.noChurnLabel`, `.tooFewObservationDates`, `.noTrainingWindowBeforeHoldout`,
    ///   `.oneClass`, `.noUsableFeatures`, or `NumericsError` from a fit.
    public static func train(_ m: FeatureMatrix, asOf: Double, config: FeatureConfig, settings: TrainingSettings,
                             createdAt: String, toolVersion: String) throws -> TrainingResult {
        let started = DispatchTime.now().uptimeNanoseconds
        guard let labelColumn = m.names.lastIndex(of: "churned") else { throw ScoringError.noChurnLabel }
        let p = m.names.count
        let y = (0..<m.rowCount).map { m.values[$0 * p + labelColumn] }
        let candidates = m.names.indices.filter { $0 != labelColumn }
        let dates = settings.observationDates(asOf: asOf)
        guard settings.holdout >= 1, settings.holdout < dates.count else {
            throw ScoringError.tooFewObservationDates(snapshots: settings.snapshots, holdout: settings.holdout)
        }
        let horizon = Double(settings.horizonDays) * secondsPerDay
        let roles = dateRoles(dates: dates, holdout: settings.holdout, horizonSeconds: horizon)
        guard !roles.training.isEmpty else {
            throw ScoringError.noTrainingWindowBeforeHoldout(horizonDays: settings.horizonDays, everyDays: settings.everyDays,
                                                             snapshots: settings.snapshots, holdout: settings.holdout)
        }
        let (trainRows, holdoutRows) = split(m, dates: dates, holdout: settings.holdout, horizonSeconds: horizon)
        for (part, rows) in [(ScoringError.TrainingRows.training, trainRows), (.heldOut, holdoutRows)] {
            let pos = rows.reduce(0) { $0 + (y[$1] == 1 ? 1 : 0) }
            if pos == 0 || pos == rows.count { throw ScoringError.oneClass(part: part, rows: rows.count) }
        }
        var notes = [
            "Missing values are replaced by the training median of the column.",
            "log1p is applied to non-negative columns with skewness > 2 or max > 100 x (median + 1); then every column is standardised.",
            "Constant (or entirely missing) columns on the training rows are dropped.",
        ]
        var warnings: [String] = []

        // The at-risk universe, per observation date.
        let lifecycleKnown = !m.lifecycle.isEmpty
        var inCount = [Double: Int](), outCount = [Double: Int]()
        for r in 0..<m.rowCount { if m.inUniverse(row: r) { inCount[m.asOf[r], default: 0] += 1 } else { outCount[m.asOf[r], default: 0] += 1 } }
        let universeCounts = dates.map { UniverseCount(date: formatDate($0), inUniverse: inCount[$0] ?? 0, outside: outCount[$0] ?? 0) }
        let countText = universeCounts.map { "\($0.date) \($0.inUniverse) in / \($0.outside) out" }.joined(separator: "; ")
        if lifecycleKnown {
            notes.append("At-risk universe: only rows whose lifecycle at their observation date is " + Lifecycle.universe.map(\.name).joined(separator: ", ")
                         + (m.universeNeedsSubscription ? " and who hold a subscription (the label is a cancellation, which only a subscriber can make)" : "")
                         + " are used for training, cross-validation, the holdout, its baseline, calibration, the backtest, the refit and the tiers (lapsed and churned customers are left out); rows per date: " + countText + ".")
        } else {
            notes.append("The training rows carry no lifecycle state: every row is treated as in the at-risk universe (rows per date: " + countText + ").")
        }
        if !roles.dropped.isEmpty {
            let text = "Observation dates " + roles.dropped.map(formatDate).joined(separator: ", ") + " are not used for training: their \(settings.horizonDays)-day label window runs past the first held-out date "
                + formatDate(roles.holdout[0]) + " (a training label window never overlaps the holdout)."
            notes.append(text)
            warnings.append("note: " + text)
        }
        let trainDates = roles.training
        let holdoutDates = roles.holdout

        // C by forward-chaining CV on the training dates.
        let byDate = Dictionary(grouping: trainRows, by: { m.asOf[$0] })
        var usable: [CVFold] = []
        var foldLoss = [[Double]]()
        for fold in folds(trainDates: trainDates, horizonSeconds: horizon) {
            let tr = fold.trainDates.flatMap { byDate[$0] ?? [] }.sorted()
            let va = byDate[fold.validationDate] ?? []
            guard hasBothClasses(tr, y), hasBothClasses(va, y) else { continue }
            let prep = Preprocessing.fit(m, rows: tr, columns: candidates)
            guard !prep.columns.isEmpty else { continue }
            let xt = try prep.design(m, rows: tr), xv = try prep.design(m, rows: va)
            let yt = tr.map { y[$0] }, yv = va.map { y[$0] }
            var start: (coefficients: [Double], intercept: Double)?
            var losses: [Double] = []
            for c in settings.cGrid {
                var model = try LogisticRegression(c: c, classWeight: settings.classWeight).fit(xt, yt, start: start)
                start = (model.coefficients, model.intercept)
                model.intercept += priorCorrection(yt, settings.classWeight)
                losses.append(try Metrics.logLoss(labels: yv, probabilities: try model.probabilities(xv)))
            }
            usable.append(fold); foldLoss.append(losses)
        }
        var chosenC = 1.0
        var cScores: [(c: Double, logLoss: Double)] = []
        let cSelection: String
        if usable.count >= 2 {
            cScores = settings.cGrid.indices.map { k in (settings.cGrid[k], foldLoss.map { $0[k] }.reduce(0, +) / Double(foldLoss.count)) }
            chosenC = cScores.min { $0.logLoss < $1.logLoss }!.c
            cSelection = "forward-chaining CV over \(usable.count) folds (train on dates whose label window closes by the validation date), grid " +
                settings.cGrid.map { String(format: "%g", $0) }.joined(separator: ", ") + "; best mean validation log loss " +
                String(format: "%.5f", cScores.first { $0.c == chosenC }!.logLoss) + String(format: " at C = %g", chosenC)
        } else if settings.cGrid.count == 1 {
            chosenC = settings.cGrid[0]
            cSelection = String(format: "C = %g (given)", chosenC)
        } else {
            cSelection = "C = 1 (fallback): fewer than 2 usable forward-chaining folds (\(usable.count)); more observation dates (snapshots) give cross-validation"
            notes.append(cSelection)
            warnings.append("note: " + cSelection)
        }

        // Holdout evaluation with the training-dates model.
        let prep = Preprocessing.fit(m, rows: trainRows, columns: candidates)
        guard !prep.columns.isEmpty else { throw ScoringError.noUsableFeatures }
        if !prep.dropped.isEmpty { notes.append("Dropped constant columns: " + prep.dropped.joined(separator: ", ")) }
        let xt = try prep.design(m, rows: trainRows), xh = try prep.design(m, rows: holdoutRows)
        let yt = trainRows.map { y[$0] }, yh = holdoutRows.map { y[$0] }
        let corr = correlatedPairs(xt, names: prep.features.map(\.name), above: 0.95)
        if !corr.isEmpty {
            let shown = corr.prefix(12).map { String(format: "%@ ~ %@ (r = %.3f)", $0.0, $0.1, $0.2) }.joined(separator: "; ")
            let w = "warning: \(corr.count) feature pair\(corr.count == 1 ? "" : "s") correlated above 0.95 on the training rows: \(shown)\(corr.count > 12 ? "; …" : "") (coefficients of such pairs are unstable; the L2 penalty keeps them finite)."
            warnings.append(w)
            notes.append("\(corr.count) feature pairs correlated above 0.95 on the training rows (kept; L2-penalised).")
        }
        var trainModel = try LogisticRegression(c: chosenC, classWeight: settings.classWeight).fit(xt, yt)
        trainModel.intercept += priorCorrection(yt, settings.classWeight)
        if settings.classWeight != .none {
            notes.append("Class weights \(settings.classWeight.rawValue): the intercept is shifted by -log(n0/n1) (prior correction), and Platt calibration on the held-out dates keeps probabilities true probabilities.")
        }
        let zh = try trainModel.decisionFunction(xh)
        let ph = zh.map(sigmoid)
        let platt = try fitPlatt(z: zh, y: yh)
        var isotonic: IsotonicCalibration?
        var method = "platt"
        let positives = Int(yh.reduce(0, +))
        if yh.count >= 1000 && positives >= 50 && yh.count - positives >= 50 {
            // Choose by 2-fold cross-fitting on the holdout (alternate rows): fit on one half, score the other.
            let halves = [holdoutRows.indices.filter { $0 % 2 == 0 }, holdoutRows.indices.filter { $0 % 2 == 1 }]
            var lossPlatt = 0.0, lossIso = 0.0
            for (fitHalf, evalHalf) in [(halves[0], halves[1]), (halves[1], halves[0])] {
                let zf = fitHalf.map { zh[$0] }, yf = fitHalf.map { yh[$0] }
                let ye = evalHalf.map { yh[$0] }
                let pl = try fitPlatt(z: zf, y: yf), iso = IsotonicCalibration.fit(z: zf, y: yf)
                lossPlatt += try Metrics.logLoss(labels: ye, probabilities: evalHalf.map { pl.apply(zh[$0]) }) / 2
                lossIso += try Metrics.logLoss(labels: ye, probabilities: evalHalf.map { iso.apply(zh[$0]) }) / 2
            }
            isotonic = IsotonicCalibration.fit(z: zh, y: yh)
            if lossIso < lossPlatt { method = "isotonic" }
            notes.append(String(format: "Calibration fitted on the %d held-out rows: Platt and isotonic compared by 2-fold cross-fitting on them (log loss %.5f vs %.5f); %@ is applied. Calibrated holdout metrics are in-sample for the calibration.", holdoutRows.count, lossPlatt, lossIso, method))
        } else {
            notes.append("Platt calibration σ(a·z + b) fitted on the \(holdoutRows.count) held-out rows (isotonic needs ≥ 1000 rows and ≥ 50 of each class); calibrated holdout metrics are in-sample for the calibration.")
        }
        let calibrate: (Double) -> Double
        if method == "isotonic", let iso = isotonic { calibrate = iso.apply } else { calibrate = platt.apply }
        let pc = zh.map(calibrate)
        let lift = try Metrics.lift(labels: yh, scores: ph, topFraction: 0.1)
        let baseline = try recencyBaseline(m, y: y, train: trainRows, evaluate: holdoutRows)
        let metrics = HoldoutMetrics(
            auc: try Metrics.rocAUC(labels: yh, scores: ph), averagePrecision: try Metrics.averagePrecision(labels: yh, scores: ph),
            logLoss: try Metrics.logLoss(labels: yh, probabilities: ph), brier: try Metrics.brierScore(labels: yh, probabilities: ph),
            liftTopDecile: lift.lift, captureTopDecile: lift.captureRate, baseRate: lift.baseRate,
            observations: holdoutRows.count, customers: Set(holdoutRows.map { m.customerIDs[$0] }).count,
            calibratedLogLoss: try Metrics.logLoss(labels: yh, probabilities: pc), calibratedBrier: try Metrics.brierScore(labels: yh, probabilities: pc),
            baselineAUC: baseline,
            reliabilityBefore: try reliability(yh, ph), reliabilityAfter: try reliability(yh, pc))

        // Rolling-origin backtest with the chosen C.
        let backtest = try self.backtest(m, y: y, dates: dates, horizonSeconds: horizon, columns: candidates, c: chosenC,
                                         classWeight: settings.classWeight)
        notes.append("Rolling-origin backtest: for each observation date D with an earlier date d where d + horizon <= D, a model (C = "
                     + String(format: "%g", chosenC) + ", preprocessing re-learned) fitted on the universe rows of those earlier dates is evaluated on D's universe rows; the baseline is recency_days alone on the same rows.")
        if !backtest.skipped.isEmpty {
            let text = "Backtest dates skipped (one class, or no usable feature): " + backtest.skipped.map(formatDate).joined(separator: ", ") + "."
            notes.append(text)
        }

        // Refit on every date's universe rows with the chosen C.
        let allRows = (0..<m.rowCount).filter { m.inUniverse(row: $0) }
        let finalPrep = Preprocessing.fit(m, rows: allRows, columns: prep.columns)
        let ya = allRows.map { y[$0] }
        let xa = try finalPrep.design(m, rows: allRows)
        var final = try LogisticRegression(c: chosenC, classWeight: settings.classWeight).fit(xa, ya)
        final.intercept += priorCorrection(ya, settings.classWeight)
        if !final.converged { warnings.append("warning: the final fit did not converge after \(final.iterations) iterations.") }
        notes.append("The bundle's model is refitted on the \(allRows.count) universe rows of all \(dates.count) observation dates with the chosen C; preprocessing re-estimated on them; the calibration fitted on the holdout is applied to it.")

        // Risk tiers: fixed now, on the calibrated probability.
        let latestDate = dates.last!
        let latest = allRows.filter { m.asOf[$0] == latestDate }
        let latestScores = try final.decisionFunction(try finalPrep.design(m, rows: latest)).map(calibrate)
        let baseRate = ya.reduce(0, +) / Double(ya.count)
        let thresholds = settings.tiers.thresholds(
            baseRate: baseRate, baseRows: allRows.count, population: latestScores,
            populationDescription: "the \(latest.count) universe rows of the latest observation date \(formatDate(latestDate))")
        notes.append("Risk tiers (--tiers \(settings.tiers)) on the calibrated probability: " + thresholds.summary + ". A customer is at risk when in the universe and p >= high.")

        var bundle = ModelBundle(
            createdAt: createdAt, toolVersion: toolVersion, asOf: formatDate(asOf),
            observationDates: dates.map(formatDate), holdoutDates: holdoutDates.map(formatDate),
            fingerprint: DataFingerprint.of(m), config: config, features: finalPrep.features,
            coefficients: final.coefficients, intercept: final.intercept,
            standardErrors: final.standardErrors.map { $0.isFinite ? $0 : nil },
            interceptStandardError: final.interceptStandardError.isFinite ? final.interceptStandardError : nil,
            c: chosenC, cSelection: cSelection, classWeight: settings.classWeight.rawValue, calibration: platt,
            isotonic: isotonic, calibrationMethod: method,
            metrics: metrics, thresholds: thresholds, notes: notes)
        bundle.universe = lifecycleKnown ? Lifecycle.universe.map(\.name) + (m.universeNeedsSubscription ? ["subscribed"] : []) : nil
        bundle.universeRows = universeCounts
        bundle.backtest = backtest.points
        bundle.trainingDates = trainDates.map(formatDate)
        // Training distribution for drift: raw (imputed) features and calibrated scores on the latest date's universe rows.
        bundle.trainingDistribution = Drift.fit(values: m.values, p: p, rows: latest, columns: finalPrep.columns, features: finalPrep.features,
                                                scores: latestScores, rowsDescription: "universe rows of the latest observation date \(formatDate(latestDate)), \(latest.count) rows")
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return TrainingResult(bundle: bundle, trainRows: trainRows, holdoutRows: holdoutRows, dates: roles, folds: usable,
                              cScores: cScores, warnings: warnings, fitSeconds: seconds)
    }

    /// Rolling-origin backtest over `dates`: for every date D with at least one earlier date d
    /// where d + horizon ≤ D, a model with penalty `c` (preprocessing re-learned by the same rules)
    /// is fitted on the universe rows of those earlier dates and evaluated on D's universe rows
    /// (uncalibrated probabilities). Dates whose training or evaluation rows hold one class, or
    /// with no usable feature, are returned in `skipped`.
    static func backtest(_ m: FeatureMatrix, y: [Double], dates: [Double], horizonSeconds: Double, columns: [Int], c: Double,
                         classWeight: LogisticRegression.ClassWeight) throws -> (points: [BacktestPoint], skipped: [Double]) {
        let sorted = dates.sorted()
        let rows = universeRows(m, dates: sorted)
        var points: [BacktestPoint] = [], skipped: [Double] = []
        for d in sorted {
            let earlier = sorted.filter { $0 < d && $0 + horizonSeconds <= d }
            guard !earlier.isEmpty else { continue }
            let tr = earlier.flatMap { rows[$0] ?? [] }.sorted(), ev = rows[d] ?? []
            guard hasBothClasses(tr, y), hasBothClasses(ev, y) else { skipped.append(d); continue }
            let prep = Preprocessing.fit(m, rows: tr, columns: columns)
            guard !prep.columns.isEmpty else { skipped.append(d); continue }
            let yt = tr.map { y[$0] }, ye = ev.map { y[$0] }
            var model = try LogisticRegression(c: c, classWeight: classWeight).fit(try prep.design(m, rows: tr), yt)
            model.intercept += priorCorrection(yt, classWeight)
            let pe = try model.probabilities(try prep.design(m, rows: ev))
            let lift = try Metrics.lift(labels: ye, scores: pe, topFraction: 0.1)
            points.append(BacktestPoint(
                date: formatDate(d), auc: try Metrics.rocAUC(labels: ye, scores: pe), liftTopDecile: lift.lift,
                brier: try Metrics.brierScore(labels: ye, probabilities: pe), baseRate: lift.baseRate, rows: ev.count,
                baselineAUC: try recencyBaseline(m, y: y, train: tr, evaluate: ev), trainDates: earlier.map(formatDate)))
        }
        return (points, skipped)
    }

    /// ROC AUC on `evaluate` of a logistic regression (C = 1) on `recency_days` alone, fitted on
    /// `train` with the same preprocessing rules; nil without that column or when it is constant.
    static func recencyBaseline(_ m: FeatureMatrix, y: [Double], train: [Int], evaluate: [Int]) throws -> Double? {
        guard let rec = m.names.firstIndex(of: "recency_days") else { return nil }
        let bp = Preprocessing.fit(m, rows: train, columns: [rec])
        guard !bp.columns.isEmpty else { return nil }
        let bm = try LogisticRegression(c: 1).fit(try bp.design(m, rows: train), train.map { y[$0] })
        return try Metrics.rocAUC(labels: evaluate.map { y[$0] }, scores: try bm.probabilities(try bp.design(m, rows: evaluate)))
    }

    static func hasBothClasses(_ rows: [Int], _ y: [Double]) -> Bool {
        let pos = rows.reduce(0) { $0 + (y[$1] == 1 ? 1 : 0) }
        return pos > 0 && pos < rows.count
    }

    /// The intercept shift that turns a class-weighted fit back into true probabilities:
    /// weighting multiplies the odds by w1/w0 = n0/n1 (balanced), so subtract log(n0/n1).
    static func priorCorrection(_ y: [Double], _ weight: LogisticRegression.ClassWeight) -> Double {
        guard weight == .balanced else { return 0 }
        let n1 = y.reduce(0, +), n0 = Double(y.count) - n1
        return -log(n0 / n1)
    }

    /// Platt scaling: an unpenalised logistic regression of the labels on the linear predictor
    /// (a tiny penalty, C = 1e6, keeps it finite on separable holdouts).
    static func fitPlatt(z: [Double], y: [Double]) throws -> PlattCalibration {
        let fit = try LogisticRegression(c: 1e6).fit(try Matrix(rows: z.count, columns: 1, values: z), y)
        return PlattCalibration(a: fit.coefficients[0], b: fit.intercept, rows: z.count)
    }

    static func reliability(_ y: [Double], _ p: [Double]) throws -> [ReliabilityBin] {
        try Metrics.calibrationTable(labels: y, scores: p, binCount: min(10, y.count))
            .map { ReliabilityBin(count: $0.count, meanPredicted: $0.meanScore, observedRate: $0.observedRate) }
    }

    /// Pairs of standardised columns with |correlation| above `above`, strongest first.
    static func correlatedPairs(_ x: Matrix, names: [String], above: Double) -> [(String, String, Double)] {
        let g = x.gram(), q = x.columns, n = Double(x.rows)
        var out: [(String, String, Double)] = []
        for i in 0..<q { for j in (i + 1)..<max(i + 1, q) {
            let r = g[i, j] / n
            if abs(r) > above { out.append((names[i], names[j], r)) }
        } }
        return out.sorted { abs($0.2) > abs($1.2) }
    }
}
