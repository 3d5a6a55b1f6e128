import Foundation
import RetainCore

/// The model files in a directory, each verified: what `retain models list` prints.
public enum ModelCatalog {
    /// One `.json` file of the directory: its verified model, or why it was refused.
    public struct Entry: Sendable {
        public var path: String
        public var model: Result<AnyModel, ScoringError>

        /// One line: path, kind and key facts, or "REFUSED: <why>" (a JSON file of another format is "skipped").
        public var line: String {
            switch model {
            case .success(let m): return m.summaryLine(path: path)
            case .failure(.foreignModel): return "\(path)  (skipped: JSON of another format, not a model file)"
            case .failure(let e): return "\(path)  REFUSED: \(e)"
            }
        }
    }

    /// Every `.json` file of `directory`, by name, loaded and verified.
    ///
    /// - Throws: `ScoringError.modelUnreadable` when the directory cannot be listed.
    public static func list(directory: String) throws -> [Entry] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted() } catch {
            throw ScoringError.modelUnreadable(path: directory, reason: (error as NSError).localizedDescription)
        }
        return names.map { name in
            let path = (directory as NSString).appendingPathComponent(name)
            do { return Entry(path: path, model: .success(try AnyModel.load(path: path))) } catch let e as ScoringError {
                return Entry(path: path, model: .failure(e))
            } catch {
                return Entry(path: path, model: .failure(.malformedModel(path: path, reason: "\(error)")))
            }
        }
    }
}

extension AnyModel {
    /// One line for a listing: kind, dates, key metrics and creation time.
    public func summaryLine(path: String) -> String {
        switch self {
        case .churn(let b):
            let c = b.c.map { String(format: "%g", $0) } ?? "none"
            if let m = b.metrics {
                return String(format: "%@  as of %@  %d features  holdout AUC %.4f (baseline %@)  C = %@  created %@",
                              path, b.asOf, b.features.count, m.auc, m.baselineAUC.map { String(format: "%.4f", $0) } ?? "—", c, b.createdAt)
            }
            let auc = b.table.map { String(format: "training AUC %.4f", $0.trainingAUC) } ?? "no metrics"
            return "\(path)  churn model from table \(b.table?.source ?? "?")  \(b.features.count) features  \(auc)  C = \(c)  created \(b.createdAt)"
        case .segments(let s):
            let origin = s.table.map { "segments of table \($0.source)" } ?? "segments as of \(s.asOf)"
            return "\(path)  \(origin)  k = \(s.k): \(s.segments.map(\.name).joined(separator: ", "))  created \(s.createdAt)"
        case .clv(let m):
            return "\(path)  CLV model \(m.purchase.title)\(m.gammaGamma == nil ? "" : " + Gamma-Gamma") (\(m.timeUnit.rawValue)s)  calibration end \(m.calibrationEnd)  \(m.customers) customers  \(Self.clvParameters(m, digits: 4))  created \(m.createdAt)"
        }
    }

    /// The readable description `retain models show` prints.
    public func details(path: String) -> String {
        switch self {
        case .churn(let b): return Self.churnDetails(b, path: path)
        case .segments(let s):
            var out = ["\(path): \(s.format) v\(s.formatVersion) (\(s.kind.displayName)), created \(s.createdAt) by retain \(s.toolVersion); checksum OK (\(s.checksum))"]
            if let t = s.table {
                out.append("Table \(t.source)\(t.standardized ? " (standardised)" : ""); \(s.fingerprint.rows) rows; \(s.kSelection); \(t.converged ? "converged" : "NOT converged") after \(t.iterations) iterations")
            } else {
                out.append("As of \(s.asOf); \(s.fingerprint.customers) customers; \(s.kSelection)")
            }
            for p in s.segments {
                let names = s.features.isEmpty ? p.centroid.keys.sorted() : s.features.map(\.name)   // RFM models have no features
                let centroid = names.map { n in String(format: "%@ %.2f", n, p.centroid[n] ?? .nan) }.joined(separator: ", ")
                out.append(String(format: "  %@: %d (%.1f %%), churn %@; %@", p.name, p.size, 100 * p.share,
                                  p.churnRate.map { String(format: "%.1f %%", 100 * $0) } ?? "—", centroid))
            }
            if !s.rfmCounts.isEmpty { out.append("RFM: " + s.rfmCounts.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")) }
            return out.joined(separator: "\n")
        case .clv(let m):
            var out = ["\(path): \(m.format) v\(m.formatVersion) (\(m.kind.displayName)), created \(m.createdAt) by retain \(m.toolVersion); checksum OK (\(m.checksum))"]
            out.append("Purchase model \(m.purchase.title) (\(m.purchase.name)), rates per \(m.timeUnit.rawValue); calibration end \(m.calibrationEnd); fitted on \(m.customers) customers"
                       + (m.logLikelihood.map { String(format: ", log-likelihood %.4f", $0) } ?? ""))
            out.append("  " + Self.clvParameters(m, digits: 6))
            if let g = m.gammaGamma {
                out.append(String(format: "Gamma-Gamma spend model: p %.6g, q %.6g, gamma %.6g", g.p, g.q, g.gamma))
            } else {
                out.append("No spend model: the file predicts purchases and P(alive), not CLV.")
            }
            return out.joined(separator: "\n")
        }
    }

    /// The purchase model's parameters by name: "r 0.243, alpha 4.41, a 0.793, b 2.43".
    static func clvParameters(_ m: CLVModel, digits: Int) -> String {
        let named: [(String, Double)]
        switch m.purchase {
        case .betaGeometricNBD(let p), .modifiedBetaGeometricNBD(let p): named = [("r", p.r), ("alpha", p.alpha), ("a", p.a), ("b", p.b)]
        case .paretoNBD(let p): named = [("r", p.r), ("alpha", p.alpha), ("s", p.s), ("beta", p.beta)]
        }
        return named.map { String(format: "%@ %.\(digits)g", $0.0, $0.1) }.joined(separator: ", ")
    }

    static func churnDetails(_ b: ModelBundle, path: String) -> String {
        var out = ["\(path): \(b.format) v\(b.formatVersion) (\(b.kind.displayName)), created \(b.createdAt) by retain \(b.toolVersion); checksum OK (\(b.checksum))"]
        if let t = b.table {
            out.append("Trained on table \(t.source), label '\(t.label)': \(t.rows) rows; \(t.converged ? "converged" : "NOT converged") after \(t.iterations) Newton iterations")
            out.append(String(format: "Training rows (in-sample): AUC %.4f, log loss %.5f", t.trainingAUC, t.trainingLogLoss))
        } else {
            out.append("Churn: \(b.churn.definition.rawValue), \(b.churn.horizonDays)-day horizon; as of \(b.asOf); observation dates \(b.observationDates.joined(separator: ", ")); held out \(b.holdoutDates.joined(separator: ", "))")
            out.append("Training data: \(b.fingerprint.rows) observations, \(b.fingerprint.customers) customers, sha256 \(b.fingerprint.sha256)")
        }
        out.append(String(format: "C = %@, class weight %@; %d features", b.c.map { String(format: "%g", $0) } ?? "none (no penalty)", b.classWeight, b.features.count))
        if let m = b.metrics {
            out.append(String(format: "Holdout: AUC %.4f (recency baseline %@), AP %.4f, log loss %.5f, Brier %.5f, top-decile lift %.2f, base rate %.4f, %d observations",
                              m.auc, m.baselineAUC.map { String(format: "%.4f", $0) } ?? "—", m.averagePrecision, m.logLoss, m.brier,
                              m.liftTopDecile, m.baseRate, m.observations))
        }
        if let u = b.universe {
            let rows = b.universeRows.map { "; " + $0.map { "\($0.date) \($0.inUniverse) in / \($0.outside) out" }.joined(separator: ", ") } ?? ""
            out.append("At-risk universe: lifecycle " + u.joined(separator: ", ") + " (learned, evaluated and scored)" + rows)
        }
        if let bt = b.backtest, !bt.isEmpty {
            out.append("Backtest (rolling origin): " + bt.map { p in
                String(format: "%@ AUC %.3f (baseline %@), lift %.2f", p.date, p.auc, p.baselineAUC.map { String(format: "%.3f", $0) } ?? "—", p.liftTopDecile)
            }.joined(separator: "; "))
        }
        out.append("Risk thresholds: " + b.thresholds.summary)
        if let v = b.value { out.append("Value: " + v.definition) }
        out.append("Calibration: \(b.calibrationMethod)\(b.metrics == nil ? "" : " (fitted on the held-out dates)")")
        out.append("Top coefficients by |z|:")
        for row in b.coefficientTable.prefix(10) {
            out.append("  " + ReportText.pad(row.feature, 36) + ReportText.num(row.coefficient, width: 10, digits: 4) + "  z " + ReportText.num(row.z, width: 7, digits: 2)
                       + "  OR/+1sd " + ReportText.num(row.oddsRatioPerSD, width: 7, digits: 3)
                       + "  impact/+1sd " + ReportText.num(row.churnImpactPerSD, width: 8, digits: 4))
        }
        return out.joined(separator: "\n")
    }
}
