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

    /// The default grid: 11 values log-spaced from 0.001 to 100.
    public static let defaultGrid: [Double] = (0...10).map { pow(10, -3 + 0.5 * Double($0)) }

    public init(horizonDays: Int = 30, snapshots: Int = 6, everyDays: Int = 30, holdout: Int = 1,
                classWeight: LogisticRegression.ClassWeight = .none, cGrid: [Double] = TrainingSettings.defaultGrid) {
        self.horizonDays = horizonDays; self.snapshots = snapshots; self.everyDays = everyDays
        self.holdout = holdout; self.classWeight = classWeight; self.cGrid = cGrid.sorted()
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

/// Everything a training run produced.
public struct TrainingResult: Sendable {
    public var bundle: ModelBundle
    /// Rows of the matrix used for training and held out.
    public var trainRows: [Int]
    public var holdoutRows: [Int]
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
    /// Row indices of the training dates and of the held-out (latest `holdout`) dates.
    public static func split(_ m: FeatureMatrix, dates: [Double], holdout: Int) -> (train: [Int], holdout: [Int]) {
        let sorted = dates.sorted()
        let held = Set(sorted.suffix(holdout))
        var train: [Int] = [], test: [Int] = []
        for r in 0..<m.rowCount { if held.contains(m.asOf[r]) { test.append(r) } else { train.append(r) } }
        return (train, test)
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

    /// Fits the model: preprocessing and C on the training dates, holdout metrics and Platt
    /// calibration on the held-out dates, then a refit on all dates with the chosen C.
    ///
    /// - Throws: `ScoringError.noChurnLabel`, `.tooFewObservationDates`, `.oneClass`,
    ///   `.noUsableFeatures`, or `NumericsError` from a fit.
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
        let (trainRows, holdoutRows) = split(m, dates: dates, holdout: settings.holdout)
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
        let horizon = Double(settings.horizonDays) * secondsPerDay
        let trainDates = Array(dates.dropLast(settings.holdout))
        let holdoutDates = Array(dates.suffix(settings.holdout))

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
        var baseline: Double?
        if let rec = m.names.firstIndex(of: "recency_days") {
            let bp = Preprocessing.fit(m, rows: trainRows, columns: [rec])
            if !bp.columns.isEmpty {
                let bm = try LogisticRegression(c: 1).fit(try bp.design(m, rows: trainRows), yt)
                baseline = try Metrics.rocAUC(labels: yh, scores: try bm.probabilities(try bp.design(m, rows: holdoutRows)))
            }
        }
        let metrics = HoldoutMetrics(
            auc: try Metrics.rocAUC(labels: yh, scores: ph), averagePrecision: try Metrics.averagePrecision(labels: yh, scores: ph),
            logLoss: try Metrics.logLoss(labels: yh, probabilities: ph), brier: try Metrics.brierScore(labels: yh, probabilities: ph),
            liftTopDecile: lift.lift, captureTopDecile: lift.captureRate, baseRate: lift.baseRate,
            observations: holdoutRows.count, customers: Set(holdoutRows.map { m.customerIDs[$0] }).count,
            calibratedLogLoss: try Metrics.logLoss(labels: yh, probabilities: pc), calibratedBrier: try Metrics.brierScore(labels: yh, probabilities: pc),
            baselineAUC: baseline,
            reliabilityBefore: try reliability(yh, ph), reliabilityAfter: try reliability(yh, pc))

        // Refit on every date with the chosen C.
        let allRows = Array(0..<m.rowCount)
        let finalPrep = Preprocessing.fit(m, rows: allRows, columns: prep.columns)
        let xa = try finalPrep.design(m, rows: allRows)
        var final = try LogisticRegression(c: chosenC, classWeight: settings.classWeight).fit(xa, y)
        final.intercept += priorCorrection(y, settings.classWeight)
        if !final.converged { warnings.append("warning: the final fit did not converge after \(final.iterations) iterations.") }
        notes.append("The bundle's model is refitted on all \(dates.count) observation dates with the chosen C; preprocessing re-estimated on them; the calibration fitted on the holdout is applied to it.")
        // Risk thresholds from the calibrated scores of the latest date: top 10 % high, next 20 % medium.
        let latest = allRows.filter { m.asOf[$0] == dates.last! }
        let latestScores = try final.decisionFunction(try finalPrep.design(m, rows: latest)).map(calibrate).sorted()
        func quantile(_ q: Double) -> Double { latestScores.isEmpty ? 0.5 : latestScores[min(latestScores.count - 1, Int(q * Double(latestScores.count)))] }
        let thresholds = RiskThresholds(high: quantile(0.9), medium: quantile(0.7), topFraction: 0.1)
        notes.append("Risk thresholds: high = 90th and medium = 70th percentile of calibrated probability on the latest observation date; list rule: top 10 %.")

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
        // Training distribution for drift: raw (imputed) features and calibrated scores on the latest date's rows.
        let latestUnsorted = try final.decisionFunction(try finalPrep.design(m, rows: latest)).map(calibrate)
        bundle.trainingDistribution = Drift.fit(values: m.values, p: p, rows: latest, columns: finalPrep.columns, features: finalPrep.features,
                                                scores: latestUnsorted, rowsDescription: "latest observation date \(formatDate(dates.last!)), \(latest.count) rows")
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return TrainingResult(bundle: bundle, trainRows: trainRows, holdoutRows: holdoutRows, folds: usable,
                              cScores: cScores, warnings: warnings, fitSeconds: seconds)
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
