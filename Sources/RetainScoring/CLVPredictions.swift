import Dispatch
import Foundation
import RetainCore
import RetainIO
import RetainNumerics

extension CLVAnalysis {
    /// The fitted purchase model of any kind, with its parameters by name.
    public struct FittedPurchase: Sendable {
        public let model: any PurchaseModel
        /// The model and its parameters as a model file stores them.
        public let purchase: CLVModel.Purchase
        /// Parameters by name: r, alpha, a, b (BG/NBD, MBG/NBD) or r, alpha, s, beta (Pareto/NBD).
        public let params: [String: Double]
        public let standardErrors: [String: Double]?
        public let logLikelihood: Double
        public let diagnostics: FitDiagnostics

        /// Fits `choice` to `data` by maximum likelihood.
        public static func fit(_ choice: Model, _ data: RFMData) throws -> FittedPurchase {
            switch choice {
            case .bgnbd:
                let m = try BetaGeometricNBD().fit(data)
                return FittedPurchase(model: m, purchase: .betaGeometricNBD(m.params), params: bg(m.params),
                                      standardErrors: m.standardErrors.map(bg), logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
            case .mbgnbd:
                let m = try ModifiedBetaGeometricNBD().fit(data)
                return FittedPurchase(model: m, purchase: .modifiedBetaGeometricNBD(m.params), params: bg(m.params),
                                      standardErrors: m.standardErrors.map(bg), logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
            case .pareto:
                let m = try ParetoNBD().fit(data)
                func named(_ p: FittedParetoNBD.Parameters) -> [String: Double] { ["r": p.r, "alpha": p.alpha, "s": p.s, "beta": p.beta] }
                return FittedPurchase(model: m, purchase: .paretoNBD(m.params), params: named(m.params),
                                      standardErrors: m.standardErrors.map(named), logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
            }
        }

        private static func bg(_ p: FittedBetaGeometricNBD.Parameters) -> [String: Double] {
            ["r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b]
        }

        /// Print order of parameter names (purchase model first, then Gamma-Gamma).
        public static func order(_ name: String) -> Int {
            ["r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma"].firstIndex(of: name) ?? 99
        }
    }

    /// Per-customer predictions, in the order of the summary's customers, computed in parallel
    /// (each customer independently, so the result does not depend on the thread count).
    /// NaN where a value is not defined (no spend model: expected spend and CLV).
    public struct Predictions: Sendable {
        /// Expected purchases over the CLV horizon.
        public var expectedPurchases: [Double]
        /// P(alive) at the calibration end.
        public var probabilityAlive: [Double]
        /// Gamma-Gamma expected value per transaction.
        public var expectedSpend: [Double]
        /// Discounted value over the horizon.
        public var clv: [Double]
        /// Expected purchases over the holdout (empty without a holdout).
        public var holdoutPredicted: [Double]

        /// Predicts every customer of `summary`.
        public init(_ model: any PurchaseModel, summary s: RFMSummary, spend: FittedGammaGamma?, clv: CustomerLifetimeValue) throws {
            self = try Self.compute(model, summary: s, spend: spend, clv: clv)
        }

        private init(n: Int, holdout: Bool) {
            expectedPurchases = [Double](repeating: .nan, count: n)
            probabilityAlive = expectedPurchases
            expectedSpend = expectedPurchases
            clv = expectedPurchases
            holdoutPredicted = holdout ? expectedPurchases : []
        }

        private static func compute<M: PurchaseModel>(_ model: M, summary s: RFMSummary, spend: FittedGammaGamma?,
                                                     clv: CustomerLifetimeValue) throws -> Predictions {
            let n = s.customers.count
            let holdout = s.durationHoldout > 0
            var r = Predictions(n: n, holdout: holdout)
            let horizon = clv.periodEnds(in: model.timeUnit).last ?? 0
            let chunk = 2048
            let chunks = (n + chunk - 1) / chunk
            let duration = s.durationHoldout
            r.expectedPurchases.withUnsafeMutableBufferPointer { ep in r.probabilityAlive.withUnsafeMutableBufferPointer { pa in
            r.expectedSpend.withUnsafeMutableBufferPointer { es in r.clv.withUnsafeMutableBufferPointer { cv in
            r.holdoutPredicted.withUnsafeMutableBufferPointer { hp in
                nonisolated(unsafe) let ep = ep, pa = pa, es = es, cv = cv, hp = hp
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                        let x = s.frequency[i], tx = s.recency[i], T = s.age[i]
                        ep[i] = model.expectedPurchases(t: horizon, frequency: x, recency: tx, age: T)
                        pa[i] = model.probabilityAlive(frequency: x, recency: tx, age: T)
                        if holdout { hp[i] = model.expectedPurchases(t: duration, frequency: x, recency: tx, age: T) }
                        if let spend {
                            let v = spend.expectedAverageValue(frequency: x, monetaryValue: s.monetaryValue[i])
                            es[i] = v
                            cv[i] = (try? clv.value(model: model, averageValue: v, frequency: x, recency: tx, age: T)) ?? .nan
                        }
                    }
                }
            } } } } }
            return r
        }
    }

    /// The per-customer CSV: `customer_id, frequency, recency, T, monetary_value,
    /// expected_purchases, p_alive, expected_spend, clv` (and `holdout_purchases,
    /// holdout_predicted` with a holdout), one row per customer of `s`. Ids are quoted when they
    /// hold a comma, quote or line break; whole numbers are written without a fraction, others in
    /// full precision, and NaN or ±∞ as an empty cell.
    ///
    /// - Parameter ids: Customer ids by the summary's customer indices.
    public static func predictionsCSV(_ s: RFMSummary, ids: [String], predictions p: Predictions) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(s.customers.count * 120)
        out.append(contentsOf: "customer_id,frequency,recency,T,monetary_value,expected_purchases,p_alive,expected_spend,clv".utf8)
        let holdout = !p.holdoutPredicted.isEmpty
        if holdout { out.append(contentsOf: ",holdout_purchases,holdout_predicted".utf8) }
        out.append(10)
        func num(_ v: Double) {
            out.append(44)
            guard v.isFinite else { return }
            NumberFormat.appendShortest(v, wholeBelow: 1e15, into: &out)
        }
        for i in 0..<s.customers.count {
            CSVText.appendField(ids[s.customers[i]], into: &out)
            num(s.frequency[i]); num(s.recency[i]); num(s.age[i]); num(s.monetaryValue[i])
            num(p.expectedPurchases[i]); num(p.probabilityAlive[i]); num(p.expectedSpend[i]); num(p.clv[i])
            if holdout { num(s.frequencyHoldout[i]); num(p.holdoutPredicted[i]) }
            out.append(10)
        }
        return out
    }
}
