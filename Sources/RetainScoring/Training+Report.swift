import Foundation
import RetainCore
import RetainNumerics

/// What a workflow returns: its `--json` report (the encoding) and its readable report (`text`).
public protocol WorkflowReport: Encodable, Sendable {
    /// The readable report, lines joined by newlines (no trailing newline).
    var text: String { get }
}

extension Training {
    /// What `fromTable` fitted: the `--json` report of `retain train --features` and its readable `text`.
    public struct TableReport: WorkflowReport {
        public var fit: TableFit
        /// Feature names in input order, with their coefficients and standard errors (nil: not identifiable).
        public var features: [String]
        public var coefficients: [Double]
        public var standardErrors: [Double?]
        public var intercept: Double
        public var interceptStandardError: Double?
        /// Inverse penalty strength; nil = unpenalised.
        public var c: Double?
        public var classWeight: String
        public var fitSeconds: Double
        /// The model file written, if any.
        public var model: String?
        /// The risk-tier cut-offs (stored in the model file when one is written).
        public var thresholds: RiskThresholds
        /// Rows kept and left out by the table's `in_universe` column (nil without that column).
        public var universe: UniverseSplit?

        enum CodingKeys: String, CodingKey {
            case coefficients, intercept, iterations, converged, auc, rows, features, c, model, tiers
            case inUniverseRows = "in_universe_rows", outsideUniverseRows = "outside_universe_rows"
            case standardErrors = "standard_errors", interceptStandardError = "intercept_standard_error"
            case fitSeconds = "fit_seconds", logLoss = "log_loss", classWeight = "class_weight"
        }

        public func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(Dictionary(zip(features, coefficients), uniquingKeysWith: { a, _ in a }), forKey: .coefficients)
            // Keep nulls for non-identifiable standard errors rather than dropping the key.
            var se = k.nestedContainer(keyedBy: AnyCodingKey.self, forKey: .standardErrors)
            for (name, v) in zip(features, standardErrors) { try se.encode(v, forKey: AnyCodingKey(name)) }
            try k.encode(intercept, forKey: .intercept)
            try k.encode(interceptStandardError, forKey: .interceptStandardError)
            try k.encode(fit.iterations, forKey: .iterations)
            try k.encode(fit.converged, forKey: .converged)
            try k.encode(fitSeconds, forKey: .fitSeconds)
            try k.encode(fit.trainingAUC, forKey: .auc)
            try k.encode(fit.trainingLogLoss, forKey: .logLoss)
            try k.encode(fit.rows, forKey: .rows)
            try k.encode(features, forKey: .features)
            try k.encode(c, forKey: .c)
            try k.encode(classWeight, forKey: .classWeight)
            try k.encode(model, forKey: .model)
            try k.encode(thresholds, forKey: .tiers)
            if let universe {
                try k.encode(universe.inUniverse, forKey: .inUniverseRows)
                try k.encode(universe.outside, forKey: .outsideUniverseRows)
            }
        }

        /// The readable report: fit summary, then the coefficient table with z and p.
        public var text: String {
            var out: [String] = []
            let penalty = c.map { "C = \($0)" } ?? "no penalty"
            out.append("Logistic regression on \(fit.source): \(fit.rows) rows, \(features.count) features, label '\(fit.label)' (\(penalty), class weight \(classWeight))")
            out.append(String(format: "%@ after %d Newton iterations in %.3f s; training AUC %.4f, log-loss %.5f",
                              fit.converged ? "Converged" : "NOT converged", fit.iterations, fitSeconds, fit.trainingAUC, fit.trainingLogLoss))
            if let universe {
                out.append("At-risk universe: trained only on the \(universe.inUniverse) rows with \(Training.universeColumn) = 1 (\(universe.outside) rows with 0 left out); \(Training.universeColumn) is not a feature.")
            }
            out.append("Risk tiers: " + thresholds.summary)
            out.append("")
            let width = max(12, (features.map(\.count).max() ?? 0) + 2)
            out.append(ReportText.pad("feature", width) + ReportText.pad("coef", 14, right: true) + ReportText.pad("std err", 14, right: true)
                       + ReportText.pad("z", 10, right: true) + ReportText.pad("p", 10, right: true))
            func line(_ name: String, _ coef: Double, _ se: Double?) {
                let z = se.map { coef / $0 }
                let p = z.map { erfc(abs($0) / 2.0.squareRoot()) }
                out.append(ReportText.pad(name, width) + ReportText.num(coef, width: 14) + ReportText.num(se, width: 14)
                           + ReportText.num(z, width: 10, digits: 2) + ReportText.num(p, width: 10, digits: 4))
            }
            line("(intercept)", intercept, interceptStandardError)
            for (k, name) in features.enumerated() { line(name, coefficients[k], standardErrors[k]) }
            out.append("")
            out.append("Standard errors from the inverse Hessian of the penalised objective (— : not identifiable).")
            if let model { out.append("Model written to \(model)") }
            return out.joined(separator: "\n")
        }
    }

    /// What `fromEvents` trained: the `--json` report of `retain train --events` and its readable `text`.
    public struct EventsReport: WorkflowReport {
        /// The model written (not part of the JSON report; `retain models show --json` prints it).
        public var bundle: ModelBundle
        public var fitSeconds: Double
        /// The model file written.
        public var model: String
        /// Diagnostics (correlated pairs, fallbacks), one line each.
        public var warnings: [String]

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

        enum CodingKeys: String, CodingKey {
            case holdout, c, features, observations, customers, model, checksum, coefficients, backtest, universe, tiers
            case baselineAUC = "baseline_auc", cSelection = "c_selection", fitSeconds = "fit_seconds"
            case observationDates = "observation_dates", holdoutDates = "holdout_dates", trainingDates = "training_dates"
            case universeRows = "universe_rows"
        }

        public func encode(to encoder: Encoder) throws {
            let b = bundle
            var k = encoder.container(keyedBy: CodingKeys.self)
            if let m = b.metrics {
                try k.encode(Holdout(auc: m.auc, averagePrecision: m.averagePrecision, logLoss: m.logLoss, brier: m.brier,
                                     liftTopDecile: m.liftTopDecile, captureTopDecile: m.captureTopDecile, baseRate: m.baseRate,
                                     observations: m.observations, customers: m.customers,
                                     calibratedLogLoss: m.calibratedLogLoss, calibratedBrier: m.calibratedBrier), forKey: .holdout)
                try k.encodeIfPresent(m.baselineAUC, forKey: .baselineAUC)
            }
            try k.encodeIfPresent(b.c, forKey: .c)
            try k.encode(b.cSelection, forKey: .cSelection)
            try k.encode(b.features.map(\.name), forKey: .features)
            try k.encode(b.fingerprint.rows, forKey: .observations)
            try k.encode(b.fingerprint.customers, forKey: .customers)
            try k.encode(b.observationDates, forKey: .observationDates)
            try k.encode(b.usedTrainingDates, forKey: .trainingDates)
            try k.encode(b.holdoutDates, forKey: .holdoutDates)
            try k.encode(b.backtest ?? [], forKey: .backtest)
            try k.encode(b.universe, forKey: .universe)
            try k.encode(b.universeRows ?? [], forKey: .universeRows)
            try k.encode(b.thresholds, forKey: .tiers)
            try k.encode(fitSeconds, forKey: .fitSeconds)
            try k.encode(model, forKey: .model)
            try k.encode((try? b.contentChecksum()) ?? "", forKey: .checksum)
            try k.encode(b.coefficientTable, forKey: .coefficients)
        }

        /// The readable report: data, holdout metrics, reliability table and coefficients.
        public var text: String {
            let b = bundle
            var out: [String] = []
            out.append("Churn model (\(b.churn.definition.rawValue), \(b.churn.horizonDays)-day horizon) as of \(b.asOf): \(b.fingerprint.rows) observations of \(b.fingerprint.customers) customers at \(b.observationDates.count) dates (\(b.observationDates.first ?? "") … \(b.observationDates.last ?? ""))")
            let dropped = b.observationDates.filter { !b.holdoutDates.contains($0) && !b.usedTrainingDates.contains($0) }
            out.append("Training dates: \(b.usedTrainingDates.joined(separator: ", ")); held out: \(b.holdoutDates.joined(separator: ", "))"
                       + (dropped.isEmpty ? "" : "; not used (label window overlaps the holdout): " + dropped.joined(separator: ", ")))
            if let rows = b.universeRows {
                let states = b.universe.map { "lifecycle " + $0.joined(separator: "/") } ?? "no lifecycle in the data: every row"
                out.append("At-risk universe (\(states)); rows in / out per date: " + rows.map { "\($0.date) \($0.inUniverse)/\($0.outside)" }.joined(separator: ", "))
            }
            out.append(String(format: "%d features; C = %@ (%@); fitted in %.2f s", b.features.count, b.c.map { String(format: "%g", $0) } ?? "none",
                              b.cSelection, fitSeconds))
            out.append("")
            if let m = b.metrics {
                out.append("Holdout (\(m.observations) observations, \(m.customers) customers, base churn rate \(String(format: "%.4f", m.baseRate))):")
                out.append(String(format: "  ROC AUC %.4f   (recency-only baseline %@)", m.auc, m.baselineAUC.map { String(format: "%.4f", $0) } ?? "—"))
                out.append(String(format: "  average precision %.4f   log loss %.5f   Brier %.5f", m.averagePrecision, m.logLoss, m.brier))
                out.append(String(format: "  top decile: lift %.2f, capture %.1f %%", m.liftTopDecile, 100 * m.captureTopDecile))
                out.append(String(format: "  after %@ calibration (fitted on the holdout): log loss %.5f   Brier %.5f", b.calibrationMethod, m.calibratedLogLoss, m.calibratedBrier))
                out.append("")
                out.append("Reliability (holdout deciles):  mean predicted → observed   |  calibrated mean predicted → observed")
                for (a, c) in zip(m.reliabilityBefore, m.reliabilityAfter) {
                    out.append(String(format: "  n=%5d   %.4f → %.4f   |   n=%5d   %.4f → %.4f", a.count, a.meanPredicted, a.observedRate, c.count, c.meanPredicted, c.observedRate))
                }
                out.append("")
            }
            if let points = b.backtest, !points.isEmpty {
                out.append("Rolling-origin backtest (fit on earlier dates whose label window closes by the date, C and preprocessing rules as above; universe rows):")
                out.append("  date          rows  base rate     AUC  baseline  lift top 10%    Brier")
                for q in points {
                    out.append("  " + ReportText.pad(q.date, 10) + ReportText.pad(String(q.rows), 8, right: true) + ReportText.num(q.baseRate, width: 11, digits: 4)
                               + ReportText.num(q.auc, width: 8, digits: 4) + ReportText.num(q.baselineAUC, width: 10, digits: 4)
                               + ReportText.num(q.liftTopDecile, width: 14, digits: 2) + ReportText.num(q.brier, width: 9, digits: 4))
                }
                out.append("")
            }
            out.append("Risk tiers (calibrated probability): " + b.thresholds.summary)
            out.append("")
            out.append(contentsOf: CoefficientText.lines(b))
            out.append("")
            out.append("Coefficients of the refit on all dates, on standardised inputs; OR/+1sd = exp(coef); impact/+1sd = change in")
            out.append("churn probability for +1 sd from the average customer (fightchurn's churn impact). Sorted by |z|.")
            out.append("Model bundle written to \(model)")
            return out.joined(separator: "\n")
        }
    }
}

/// The coefficient table of a churn model as text lines (header first), sorted by |z|.
enum CoefficientText {
    static func lines(_ b: ModelBundle) -> [String] {
        let width = max(12, (b.features.map(\.name.count).max() ?? 0) + 2)
        var out = [ReportText.pad("feature", width) + ReportText.pad("coef", 12, right: true) + ReportText.pad("std err", 12, right: true)
                   + ReportText.pad("z", 9, right: true) + ReportText.pad("p", 10, right: true) + ReportText.pad("OR/+1sd", 10, right: true)
                   + ReportText.pad("impact/+1sd", 13, right: true) + "  transform"]
        for row in b.coefficientTable {
            let f = b.features.first { $0.name == row.feature }
            let transform = f.map { $0.log1p ? "log1p, standardised" : ($0.mean == 0 && $0.scale == 1 ? "as is" : "standardised") } ?? "standardised"
            out.append(ReportText.pad(row.feature, width) + ReportText.num(row.coefficient, width: 12, digits: 4) + ReportText.num(row.standardError, width: 12, digits: 4)
                       + ReportText.num(row.z, width: 9, digits: 2) + ReportText.num(row.p, width: 10, digits: 4) + ReportText.num(row.oddsRatioPerSD, width: 10, digits: 3)
                       + ReportText.num(row.churnImpactPerSD, width: 13, digits: 4) + "  " + transform)
        }
        return out
    }
}

/// Text layout shared by the readable reports: fixed-width numbers and padding.
package enum ReportText {
    /// A number in a fixed width with sensible precision; "—" for NaN or nil.
    package static func num(_ v: Double?, width: Int = 12, digits: Int = 6) -> String {
        guard let v, v.isFinite else { return String(repeating: " ", count: max(0, width - 1)) + "—" }
        let s: String
        if v != 0 && (abs(v) >= 1e7 || abs(v) < 1e-4) {
            s = String(format: "%.\(max(1, digits - 2))e", v)
        } else {
            s = String(format: "%.\(digits)f", v)
        }
        return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// `s` padded with spaces to `width` (on the left when `right`).
    package static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        if s.count >= width { return s }
        let fill = String(repeating: " ", count: width - s.count)
        return right ? fill + s : s + fill
    }
}

/// A coding key made from any string (feature names).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
