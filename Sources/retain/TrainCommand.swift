import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain train --features FILE.csv --label COLUMN …`: logistic regression on a prepared feature table;
/// `retain train --events FILE --as-of DATE --out models/NAME.json`: a churn model bundle from event history.
struct TrainCommand: ParsableCommand {
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
            the bundle is then refitted on all dates and written with a SHA-256 checksum.

            With --features: the table is a CSV with a header and one row per customer: numeric feature columns,
            a 0/1 label column, and optionally an id column and a sample-weight column. Every other
            column is used as a feature, unscaled. The objective is scikit-learn's: summed log-loss
            plus ||w||^2 / (2C), intercept unpenalised, solved by Newton's method (IRLS) on OpenBLAS.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header). Exactly one of --features / --events.", valueName: "file.csv"))
    var features: String?

    @Option(name: .long, help: ArgumentHelp("Name of the 0/1 label column (with --features).", valueName: "column"))
    var label: String?

    @Option(name: .long, help: ArgumentHelp("Event log (CSV, .csv.gz, or SQLite with --table): train from event history.", valueName: "file"))
    var events: String?

    @Option(name: .long, help: ArgumentHelp("Table (or view) to read when --events is a SQLite database.", valueName: "name"))
    var table: String?

    @Option(name: .long, help: ArgumentHelp("Customers table: customer_id, signup_date and any attributes (with --events).", valueName: "file.csv"))
    var customers: String?

    @Option(name: .long, help: ArgumentHelp("Config file (YAML or JSON): roles, windows, churn definition (with --events).", valueName: "file"))
    var config: String?

    @Option(name: .long, parsing: .singleValue, help: ArgumentHelp("Map an event type to a role, e.g. --role session=session_end (repeatable).", valueName: "role=type"))
    var role: [String] = []

    @Option(name: .long, help: ArgumentHelp("Bad rows in --events: fail or skip.", valueName: "fail|skip"))
    var badRows: String = "fail"

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

    @Option(name: .long, help: ArgumentHelp("Write the fitted model as JSON to this path (atomically).", valueName: "model.json"))
    var out: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

    func validate() throws {
        guard (features == nil) != (events == nil) else {
            throw ValidationError("Give exactly one of --features FILE.csv (a prepared table) or --events FILE (event history).")
        }
        if features != nil, label == nil { throw ValidationError("Missing expected argument '--label <column>' (required with --features).") }
        if events != nil {
            guard let asOf else { throw ValidationError("--events needs --as-of YYYY-MM-DD (the training date).") }
            _ = try parseDate(asOf, option: "--as-of")
            guard out != nil else { throw ValidationError("--events needs --out models/NAME.json (the model bundle to write).") }
            guard snapshots >= 2 else { throw ValidationError("--snapshots must be at least 2 (training and holdout dates), got \(snapshots).") }
            guard holdout >= 1, holdout < snapshots else { throw ValidationError("--holdout must be between 1 and --snapshots - 1, got \(holdout).") }
            if let horizon, horizon < 1 { throw ValidationError("--horizon must be at least 1 day, got \(horizon).") }
            guard badRows == "fail" || badRows == "skip" else { throw ValidationError("--bad-rows must be fail or skip, got '\(badRows)'.") }
            guard !noPenalty else { throw ValidationError("--no-penalty is only for --features; --events always fits with an L2 penalty.") }
            _ = try everyDays()
        }
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

    func run() throws {
        if events != nil { return try runEvents() }
        guard let features, let label else { return }
        let name = features
        let t0 = Console.seconds()
        let table = try FeatureTable.readCSV(path: features, idColumn: id)
        Console.progress(String(format: "read %d rows x %d columns from %@ in %.2f s", table.rowCount, table.columnCount, name, Console.seconds() - t0))
        guard table.columnNames.contains(label) else {
            throw CLIError("\(name): no label column '\(label)' in the header (columns: \(table.columnNames.joined(separator: ", "))).")
        }
        var (y, rest) = try table.removingColumn(label)
        if let bad = y.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw CLIError("\(name) line \(Self.line(bad, features)), column \(label): \(Self.text(y[bad])) is not a label (expected 0 or 1).")
        }
        var weights: [Double]?
        if let sampleWeight {
            guard rest.columnNames.contains(sampleWeight) else {
                throw CLIError("\(name): no sample-weight column '\(sampleWeight)' in the header.")
            }
            let (w, r) = try rest.removingColumn(sampleWeight)
            if let bad = w.firstIndex(where: { !($0 >= 0) }) {
                throw CLIError("\(name) line \(Self.line(bad, features)), column \(sampleWeight): \(Self.text(w[bad])) is not a weight (expected a number >= 0).")
            }
            weights = w
            rest = r
        }
        guard rest.columnCount > 0 else { throw CLIError("\(name): no feature columns left besides the label\(id == nil ? "" : " and id").") }
        let x = try Matrix(rows: rest.rowCount, columns: rest.columnCount, values: rest.values)
        rest.values = []
        let settings = LogisticRegression(c: noPenalty ? nil : (c ?? 1.0), tolerance: tol, maxIterations: maxIter, classWeight: classWeight)
        let tFit = Console.seconds()
        let model = try settings.fit(x, y, sampleWeights: weights)
        let fitSeconds = Console.seconds() - tFit
        let probabilities = try model.probabilities(x)
        let auc = try Metrics.rocAUC(labels: y, scores: probabilities, weights: weights)
        let logLoss = try Metrics.logLoss(labels: y, probabilities: probabilities, weights: weights)
        if !model.converged {
            Console.info("warning: not converged after \(model.iterations) iterations; raise --max-iter or --tol, or lower --c.")
        }
        let file = LogisticModelFile(
            createdAt: Console.now(), toolVersion: RetainVersion.string, source: name, label: label,
            features: rest.columnNames, coefficients: model.coefficients, intercept: model.intercept,
            standardErrors: model.standardErrors.map(RetainJSON.finite),
            interceptStandardError: RetainJSON.finite(model.interceptStandardError),
            c: model.c, classWeight: classWeight.rawValue, sampleWeightColumn: sampleWeight,
            iterations: model.iterations, converged: model.converged, rows: x.rows,
            trainingAUC: auc, trainingLogLoss: logLoss)
        if let out {
            try AtomicFile.write(try RetainJSON.encoder().encode(file), to: out)
        }
        if json {
            try Console.printJSON(TrainReport(file: file, fitSeconds: fitSeconds, model: out))
        } else {
            printReport(file, fitSeconds: fitSeconds)
        }
    }

    /// The file line of data row `row`, for error messages ("?" if it cannot be found).
    private static func line(_ row: Int, _ path: String) -> String {
        FeatureTable.physicalLine(ofDataRow: row, path: path).map(String.init) ?? "?"
    }

    private static func text(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    private func runEvents() throws {
        guard let events, let asOfText = asOf, let out else { return }
        let started = Console.seconds()
        let data = EventInput(events: events, table: table, customers: customers, config: config, roles: role,
                              badRows: badRows == "skip" ? .skip : .fail)
        var cfg = try data.loadConfig()
        if let churn { cfg.churn.definition = churn }
        if let horizon { cfg.churn.horizonDays = horizon }
        var grid = TrainingSettings.defaultGrid
        if let c { grid = [c] }
        let settings = TrainingSettings(horizonDays: cfg.churn.horizonDays, snapshots: snapshots, everyDays: try everyDays(),
                                        holdout: holdout, classWeight: classWeight, cGrid: grid)
        let asOfT = try parseDate(asOfText, option: "--as-of")
        let dates = settings.observationDates(asOf: asOfT)
        let reader = try data.reader(cfg, rejectsPath: out + ".rejects.csv")
        let result = try FeaturePipeline.build(
            reader: reader, spec: FeatureSpec(config: cfg, asOf: dates, label: true, dataEnd: asOfT),
            customers: try data.loadCustomers())
        Console.progress(String(format: "built %d observations x %d columns in %.2f s", result.features.rowCount, result.features.names.count, Console.seconds() - started))
        let trained = try TrainingPipeline.train(result.features, asOf: asOfT, config: cfg, settings: settings,
                                                 createdAt: Console.now(), toolVersion: RetainVersion.string)
        for w in trained.warnings { Console.info(w) }
        let bundle = trained.bundle
        try bundle.write(to: out) { data, path in try AtomicFile.write(data, to: path) }
        if json {
            try Console.printJSON(EventsTrainReport(bundle: bundle, fitSeconds: trained.fitSeconds, model: out))
        } else {
            printEventsReport(trained, out: out)
        }
    }

    private func printEventsReport(_ t: TrainingResult, out: String) {
        let b = t.bundle, m = b.metrics
        print("Churn model (\(b.churn.definition.rawValue), \(b.churn.horizonDays)-day horizon) as of \(b.asOf): \(b.fingerprint.rows) observations of \(b.fingerprint.customers) customers at \(b.observationDates.count) dates (\(b.observationDates.first ?? "") … \(b.observationDates.last ?? ""))")
        print("Training dates: \(b.observationDates.filter { !b.holdoutDates.contains($0) }.joined(separator: ", ")); held out: \(b.holdoutDates.joined(separator: ", "))")
        print(String(format: "%d features; C = %g (%@); fitted in %.2f s", b.features.count, b.c, b.cSelection, t.fitSeconds))
        print("")
        print("Holdout (\(m.observations) observations, \(m.customers) customers, base churn rate \(String(format: "%.4f", m.baseRate))):")
        print(String(format: "  ROC AUC %.4f   (recency-only baseline %@)", m.auc, m.baselineAUC.map { String(format: "%.4f", $0) } ?? "—"))
        print(String(format: "  average precision %.4f   log loss %.5f   Brier %.5f", m.averagePrecision, m.logLoss, m.brier))
        print(String(format: "  top decile: lift %.2f, capture %.1f %%", m.liftTopDecile, 100 * m.captureTopDecile))
        print(String(format: "  after %@ calibration (fitted on the holdout): log loss %.5f   Brier %.5f", b.calibrationMethod, m.calibratedLogLoss, m.calibratedBrier))
        print("")
        print("Reliability (holdout deciles):  mean predicted → observed   |  calibrated mean predicted → observed")
        for (a, c) in zip(m.reliabilityBefore, m.reliabilityAfter) {
            print(String(format: "  n=%5d   %.4f → %.4f   |   n=%5d   %.4f → %.4f", a.count, a.meanPredicted, a.observedRate, c.count, c.meanPredicted, c.observedRate))
        }
        print("")
        let width = max(12, (b.features.map(\.name.count).max() ?? 0) + 2)
        print(Console.pad("feature", width) + Console.pad("coef", 12, right: true) + Console.pad("std err", 12, right: true)
              + Console.pad("z", 9, right: true) + Console.pad("p", 10, right: true) + Console.pad("OR/+1sd", 10, right: true)
              + Console.pad("impact/+1sd", 13, right: true) + "  transform")
        for row in b.coefficientTable {
            let f = b.features.first { $0.name == row.feature }
            print(Console.pad(row.feature, width) + Console.num(row.coefficient, width: 12, digits: 4) + Console.num(row.standardError, width: 12, digits: 4)
                  + Console.num(row.z, width: 9, digits: 2) + Console.num(row.p, width: 10, digits: 4) + Console.num(row.oddsRatioPerSD, width: 10, digits: 3)
                  + Console.num(row.churnImpactPerSD, width: 13, digits: 4)
                  + "  " + (f?.log1p == true ? "log1p, " : "") + "standardised")
        }
        print("")
        print("Coefficients of the refit on all dates, on standardised inputs; OR/+1sd = exp(coef); impact/+1sd = change in")
        print("churn probability for +1 sd from the average customer (fightchurn's churn impact). Sorted by |z|.")
        print("Model bundle written to \(out)")
    }

    private func printReport(_ f: LogisticModelFile, fitSeconds: Double) {
        let penalty = f.c.map { "C = \($0)" } ?? "no penalty"
        print("Logistic regression on \(f.source): \(f.rows) rows, \(f.features.count) features, label '\(f.label)' (\(penalty), class weight \(f.classWeight))")
        print(String(format: "%@ after %d Newton iterations in %.3f s; training AUC %.4f, log-loss %.5f",
                     f.converged ? "Converged" : "NOT converged", f.iterations, fitSeconds, f.trainingAUC, f.trainingLogLoss))
        print("")
        let width = max(12, (f.features.map(\.count).max() ?? 0) + 2)
        print(Console.pad("feature", width) + Console.pad("coef", 14, right: true) + Console.pad("std err", 14, right: true)
              + Console.pad("z", 10, right: true) + Console.pad("p", 10, right: true))
        func line(_ name: String, _ coef: Double, _ se: Double?) {
            let z = se.map { coef / $0 }
            let p = z.map { erfc(abs($0) / 2.0.squareRoot()) }
            print(Console.pad(name, width) + Console.num(coef, width: 14) + Console.num(se, width: 14)
                  + Console.num(z, width: 10, digits: 2) + Console.num(p, width: 10, digits: 4))
        }
        line("(intercept)", f.intercept, f.interceptStandardError)
        for (k, name) in f.features.enumerated() { line(name, f.coefficients[k], f.standardErrors[k]) }
        print("")
        print("Standard errors from the inverse Hessian of the penalised objective (— : not identifiable).")
        if let out { print("Model written to \(out)") }
    }
}

/// The `--json` output of `retain train --features`.
struct TrainReport: Encodable {
    let coefficients: [String: Double]
    let standardErrors: [String: Double?]
    let intercept: Double
    let interceptStandardError: Double?
    let iterations: Int
    let converged: Bool
    let fitSeconds: Double
    let auc: Double
    let logLoss: Double
    let rows: Int
    let features: [String]
    let c: Double?
    let classWeight: String
    let model: String?

    init(file f: LogisticModelFile, fitSeconds: Double, model: String?) {
        coefficients = Dictionary(uniqueKeysWithValues: zip(f.features, f.coefficients))
        standardErrors = Dictionary(uniqueKeysWithValues: zip(f.features, f.standardErrors))
        intercept = f.intercept
        interceptStandardError = f.interceptStandardError
        iterations = f.iterations
        converged = f.converged
        self.fitSeconds = fitSeconds
        auc = f.trainingAUC
        logLoss = f.trainingLogLoss
        rows = f.rows
        features = f.features
        c = f.c
        classWeight = f.classWeight
        self.model = model
    }

    enum CodingKeys: String, CodingKey {
        case coefficients, intercept, iterations, converged, auc, rows, features, c, model
        case standardErrors = "standard_errors", interceptStandardError = "intercept_standard_error"
        case fitSeconds = "fit_seconds", logLoss = "log_loss", classWeight = "class_weight"
    }

    func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(coefficients, forKey: .coefficients)
        // Keep nulls for non-identifiable standard errors rather than dropping the key.
        var se = k.nestedContainer(keyedBy: AnyKey.self, forKey: .standardErrors)
        for (name, v) in standardErrors { try se.encode(v, forKey: AnyKey(name)) }
        try k.encode(intercept, forKey: .intercept)
        try k.encode(interceptStandardError, forKey: .interceptStandardError)
        try k.encode(iterations, forKey: .iterations)
        try k.encode(converged, forKey: .converged)
        try k.encode(fitSeconds, forKey: .fitSeconds)
        try k.encode(auc, forKey: .auc)
        try k.encode(logLoss, forKey: .logLoss)
        try k.encode(rows, forKey: .rows)
        try k.encode(features, forKey: .features)
        try k.encode(c, forKey: .c)
        try k.encode(classWeight, forKey: .classWeight)
        try k.encode(model, forKey: .model)
    }
}

/// The `--json` output of `retain train --events`.
struct EventsTrainReport: Encodable {
    struct Holdout: Encodable {
        let auc, averagePrecision, logLoss, brier, liftTopDecile, captureTopDecile, baseRate: Double
        let observations, customers: Int
        let calibratedLogLoss, calibratedBrier: Double
        enum CodingKeys: String, CodingKey {
            case auc, brier, observations, customers
            case averagePrecision = "average_precision", logLoss = "log_loss", liftTopDecile = "lift_top_decile"
            case captureTopDecile = "capture_top_decile", baseRate = "base_rate"
            case calibratedLogLoss = "calibrated_log_loss", calibratedBrier = "calibrated_brier"
        }
    }
    let holdout: Holdout
    let baselineAUC: Double?
    let c: Double
    let cSelection: String
    let features: [String]
    let observations: Int
    let customers: Int
    let observationDates: [String]
    let holdoutDates: [String]
    let fitSeconds: Double
    let model: String
    let checksum: String
    let coefficients: [BundleCoefficient]

    init(bundle b: ModelBundle, fitSeconds: Double, model: String) {
        let m = b.metrics
        holdout = Holdout(auc: m.auc, averagePrecision: m.averagePrecision, logLoss: m.logLoss, brier: m.brier,
                          liftTopDecile: m.liftTopDecile, captureTopDecile: m.captureTopDecile, baseRate: m.baseRate,
                          observations: m.observations, customers: m.customers,
                          calibratedLogLoss: m.calibratedLogLoss, calibratedBrier: m.calibratedBrier)
        baselineAUC = m.baselineAUC
        c = b.c; cSelection = b.cSelection
        features = b.features.map(\.name)
        observations = b.fingerprint.rows; customers = b.fingerprint.customers
        observationDates = b.observationDates; holdoutDates = b.holdoutDates
        self.fitSeconds = fitSeconds; self.model = model
        checksum = (try? b.contentChecksum()) ?? ""
        coefficients = b.coefficientTable
    }

    enum CodingKeys: String, CodingKey {
        case holdout, c, features, observations, customers, model, checksum, coefficients
        case baselineAUC = "baseline_auc", cSelection = "c_selection", fitSeconds = "fit_seconds"
        case observationDates = "observation_dates", holdoutDates = "holdout_dates"
    }
}

/// A coding key made from any string (feature names).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension LogisticRegression.ClassWeight: ExpressibleByArgument {}
