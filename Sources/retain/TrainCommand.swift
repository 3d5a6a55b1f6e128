import ArgumentParser
import Foundation
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain train --features FILE.csv --label COLUMN …`: logistic regression on a prepared feature table.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a logistic-regression churn model on a prepared feature table.",
        discussion: """
            The table is a CSV with a header and one row per customer: numeric feature columns,
            a 0/1 label column, and optionally an id column and a sample-weight column. Every other
            column is used as a feature, unscaled. The objective is scikit-learn's: summed log-loss
            plus ||w||^2 / (2C), intercept unpenalised, solved by Newton's method (IRLS) on OpenBLAS.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Feature table (CSV with a header).", valueName: "file.csv"))
    var features: String

    @Option(name: .long, help: ArgumentHelp("Name of the 0/1 label column.", valueName: "column"))
    var label: String

    @Option(name: .long, help: ArgumentHelp("Name of an id column to leave out of the features.", valueName: "column"))
    var id: String?

    @Option(name: .customLong("c"), help: ArgumentHelp("Inverse L2 penalty strength (scikit-learn's C); larger is weaker.", valueName: "C"))
    var c: Double = 1.0

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
        guard c > 0, c.isFinite else { throw ValidationError("--c must be a positive number, got \(c). Use --no-penalty to fit without a penalty.") }
        guard tol > 0 else { throw ValidationError("--tol must be positive, got \(tol).") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1, got \(maxIter).") }
    }

    func run() throws {
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
        let settings = LogisticRegression(c: noPenalty ? nil : c, tolerance: tol, maxIterations: maxIter, classWeight: classWeight)
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

/// A coding key made from any string (feature names).
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension LogisticRegression.ClassWeight: ExpressibleByArgument {}
