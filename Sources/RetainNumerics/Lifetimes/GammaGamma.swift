import Foundation
import RetainCore

/// Settings of the Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV";
/// Fader & Hardie, note 025), fitted to repeat customers.
///
/// A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers, so the
/// mean m̄ of x repeat transactions has likelihood
///
///     L = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m̄^(px−1) · x^(px) / (γ + x m̄)^(px+q)
///
/// (lifetimes' `GammaGammaFitter` with `penalizer_coef=0`; its `v` is γ). Spend is assumed
/// independent of purchase frequency; check the correlation before combining with a purchase model.
public struct GammaGamma: Sendable {
    /// Optimiser settings.
    public var options: MaximumLikelihoodOptions
    /// Optional starting point (tried first).
    public var initialParameters: FittedGammaGamma.Parameters?

    /// Creates the settings.
    public init(options: MaximumLikelihoodOptions = .init(), initialParameters: FittedGammaGamma.Parameters? = nil) {
        self.options = options
        self.initialParameters = initialParameters
    }

    /// Fits p, q, γ by maximum likelihood on the customers with frequency > 0 (others are skipped:
    /// they have no repeat transaction to average).
    ///
    /// - Parameters:
    ///   - frequency: Repeat transactions x per customer (whole numbers ≥ 0).
    ///   - monetaryValue: Mean value m̄ of each customer's repeat transactions (> 0 where x > 0).
    ///   - weights: Optional number of customers per entry (> 0).
    /// - Returns: The fitted spend model.
    /// - Throws: `NumericsError.invalidParameter` when no customer has a repeat purchase, or a
    ///   repeat customer's value is ≤ 0; `.dimensionMismatch`; `.nonFinite`; `.diverged`.
    /// - Complexity: O(repeat customers + distinct x) per evaluation.
    public func fit(frequency: [Double], monetaryValue: [Double], weights: [Double]? = nil) throws -> FittedGammaGamma {
        let n = frequency.count
        guard monetaryValue.count == n, weights.map({ $0.count == n }) ?? true else {
            throw NumericsError.dimensionMismatch(
                "Gamma-Gamma: frequency has \(n) values, monetaryValue \(monetaryValue.count)"
                    + (weights.map { ", weights \($0.count)" } ?? "") + ". Give one value per customer in each.")
        }
        var xs = [Double](), ms = [Double](), ws = [Double]()
        for i in 0..<n {
            let x = frequency[i], m = monetaryValue[i], w = weights?[i] ?? 1
            guard x.isFinite else { throw NumericsError.nonFinite(row: i, column: 0, context: "Gamma-Gamma input (columns: frequency, monetaryValue)") }
            guard x >= 0, x == x.rounded() else {
                throw NumericsError.invalidParameter(name: "frequency", value: "\(x)",
                    reason: "row \(i + 1): frequency counts repeat purchases and must be a whole number >= 0.")
            }
            guard w > 0, w.isFinite else {
                throw NumericsError.invalidParameter(name: "weight", value: "\(w)",
                    reason: "row \(i + 1): weights count customers and must be finite and > 0.")
            }
            guard x > 0 else { continue }
            guard m.isFinite else { throw NumericsError.nonFinite(row: i, column: 1, context: "Gamma-Gamma input (columns: frequency, monetaryValue)") }
            guard m > 0 else {
                throw NumericsError.invalidParameter(name: "monetaryValue", value: "\(m)",
                    reason: "row \(i + 1): a repeat customer's mean transaction value must be > 0 for the Gamma-Gamma model. Drop or correct zero and negative (refund) values.")
            }
            xs.append(x); ms.append(m); ws.append(w)
        }
        guard !xs.isEmpty else {
            throw NumericsError.invalidParameter(
                name: "frequency", value: "0 for every customer",
                reason: "Gamma-Gamma is fitted to repeat customers (frequency > 0) and there are none. Use a longer calibration period, or value customers at the mean order value.")
        }
        let objective = GammaGammaLikelihood(frequency: xs, monetaryValue: ms, weights: ws)
        let meanM = zip(ms, ws).reduce(0) { $0 + $1.0 * $1.1 } / objective.totalWeight
        var starts: [[Double]] = [
            [log(5), log(4), log(meanM * 3 / 5)],
            [0, log(2), log(meanM)],
            [0.1, 0.1, 0.1],
        ]
        if let p = initialParameters { starts.insert([log(p.p), log(p.q), log(p.gamma)], at: 0) }
        let fit = try MaximumLikelihood.fit(model: "Gamma-Gamma", objective: { objective.evaluate($0, &$1) }, logStarts: starts,
                                            options: options, totalWeight: objective.totalWeight, distinctRows: xs.count)
        let p = fit.parameters
        return FittedGammaGamma(
            params: .init(p: p[0], q: p[1], gamma: p[2]),
            standardErrors: fit.standardErrors.map { .init(p: $0[0], q: $0[1], gamma: $0[2]) },
            logLikelihood: fit.logLikelihood, customerCount: fit.customerCount, diagnostics: fit.diagnostics)
    }
}

/// A fitted Gamma-Gamma spend model.
public struct FittedGammaGamma: Sendable, Equatable, Codable {
    /// Transaction value ~ Gamma(p, ν), ν ~ Gamma(q, γ); γ in currency units.
    public struct Parameters: Sendable, Equatable, Codable {
        public var p: Double
        public var q: Double
        public var gamma: Double
        public init(p: Double, q: Double, gamma: Double) {
            self.p = p; self.q = q; self.gamma = gamma
        }
    }

    /// Maximum-likelihood parameters.
    public let params: Parameters
    /// Standard errors from the inverse Hessian in (p, q, γ); nil when not positive definite.
    public let standardErrors: Parameters?
    /// Maximised total log-likelihood over the repeat customers.
    public let logLikelihood: Double
    /// Number of repeat customers (total weight) fitted.
    public let customerCount: Double
    /// Optimiser statistics.
    public let diagnostics: FitDiagnostics

    /// A model from known parameters; fit statistics are empty.
    public init(params: Parameters) {
        self.init(params: params, standardErrors: nil, logLikelihood: .nan, customerCount: 0,
                  diagnostics: .none)
    }

    init(params: Parameters, standardErrors: Parameters?, logLikelihood: Double, customerCount: Double,
         diagnostics: FitDiagnostics) {
        self.params = params
        self.standardErrors = standardErrors
        self.logLikelihood = logLikelihood
        self.customerCount = customerCount
        self.diagnostics = diagnostics
    }

    /// Mean transaction value of the population, E[Z] = p γ / (q − 1); +∞ when q ≤ 1.
    public var populationMeanValue: Double {
        params.q > 1 ? params.p * params.gamma / (params.q - 1) : .infinity
    }

    /// Expected mean transaction value of a customer with x repeat transactions of mean m̄
    /// (note 025, eq. 5): E[Z | x, m̄] = p (γ + x m̄) / (p x + q − 1), a weighted average of the
    /// population mean and m̄. A customer with x = 0 gets the population mean. Needs q > 1
    /// (+∞ otherwise).
    public func expectedAverageValue(frequency x: Double, monetaryValue m: Double) -> Double {
        let (p, q, g) = (params.p, params.q, params.gamma)
        guard q > 1 else { return .infinity }
        return x > 0 ? p * (g + x * m) / (p * x + q - 1) : p * g / (q - 1)
    }

    /// ln L of one repeat customer (see `GammaGamma`).
    public func logLikelihood(frequency x: Double, monetaryValue m: Double) -> Double {
        let (p, q, g) = (params.p, params.q, params.gamma)
        let lg = SpecialFunctions.logGamma
        return lg(p * x + q) - lg(p * x) - lg(q) + q * log(g) + (p * x - 1) * log(m) + p * x * log(x)
            - (p * x + q) * log(x * m + g)
    }
}

/// Mean negative Gamma-Gamma log-likelihood and gradient in (ln p, ln q, ln γ).
struct GammaGammaLikelihood {
    let xValues: [Double]
    let xIndex: [Int32]
    let x: [Double]
    let m: [Double]
    let w: [Double]
    let totalWeight: Double
    /// Σ w·ln m, and Σ w·x·(ln m + ln x): the parameter-free parts.
    let sumWLogM: Double
    let perRowXLogXM: [Double]

    init(frequency: [Double], monetaryValue: [Double], weights: [Double]) {
        let distinct = Array(Set(frequency)).sorted()
        let pos = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Int32($0)) })
        xValues = distinct
        xIndex = frequency.map { pos[$0]! }
        x = frequency
        m = monetaryValue
        w = weights
        totalWeight = weights.reduce(0, +)
        sumWLogM = zip(monetaryValue, weights).reduce(0) { $0 + $1.1 * log($1.0) }
        perRowXLogXM = zip(frequency, monetaryValue).map { $0 * (log($1) + log($0)) }
    }

    func evaluate(_ lp: [Double], _ grad: inout [Double]) -> Double {
        let p = exp(lp[0]), q = exp(lp[1]), g = exp(lp[2])
        let lg = SpecialFunctions.logGamma, dg = SpecialFunctions.digamma
        let nx = xValues.count
        var cx = [Double](repeating: 0, count: nx), psiPXQ = cx, psiPX = cx
        for j in 0..<nx {
            let px = p * xValues[j]
            cx[j] = lg(px + q) - lg(px)
            psiPXQ[j] = dg(px + q); psiPX[j] = dg(px)
        }
        let lgQ = lg(q), psiQ = dg(q), lnG = lp[2]
        var ll = 0.0, gp = 0.0, gq = 0.0, gg = 0.0
        for i in 0..<x.count {
            let j = Int(xIndex[i]), xi = x[i], wi = w[i]
            let px = p * xi
            let s = xi * m[i] + g
            let ls = log(s)
            ll += wi * (cx[j] + p * perRowXLogXM[i] - (px + q) * ls)
            gp += wi * xi * (psiPXQ[j] - psiPX[j] - ls)
            gq += wi * (psiPXQ[j] - ls)
            gg += wi * (px + q) / s
            // p · Σ w x (ln m + ln x) enters ∂/∂p through perRowXLogXM below.
            gp += wi * perRowXLogXM[i]
        }
        let W = totalWeight
        ll += W * (q * lnG - lgQ) - sumWLogM
        gq += W * (lnG - psiQ)
        gg = W * q / g - gg
        grad[0] = -gp * p / W
        grad[1] = -gq * q / W
        grad[2] = -gg * g / W
        return -ll / W
    }
}
