import Foundation
import RetainCore

/// Settings of the Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).
///
/// While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α); their lifetime is
/// exponential with rate μ ~ Gamma(s, β) (α and β in time units). The likelihood of (x, tₓ, T) is
///
///     L = Γ(r+x) αʳ βˢ / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s · I ],
///     I = ∫_{tₓ}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ = A₀ / (r+s+x)
///
/// (Fader & Hardie, note 009, eqs. 18–20, where A₀ is written with ₂F₁(r+s+x, ·; r+s+x+1; ·)).
/// `I` is summed as the series Σₖ (b)ₖ/k! dᵏ [(M+tₓ)^−(a+k) − (M+T)^−(a+k)]/(a+k), with
/// a = r+s+x, M = max(α, β), d = |α − β|, b = s+1 (α ≥ β) or r+x (α < β): every term is positive,
/// so there is no cancellation, α = β needs no special case, and the gradient in (r, α, s, β) is
/// summed alongside. When d/(M+tₓ) > 0.8 the series is slow and the incomplete-beta continued
/// fraction is used instead, with a numerical gradient for that row.
public struct ParetoNBD: PurchaseModelFitter {
    /// Optimiser settings.
    public var options: MaximumLikelihoodOptions
    /// Optional starting point (tried first); default: built-in starts.
    public var initialParameters: FittedParetoNBD.Parameters?

    /// Creates the settings.
    public init(options: MaximumLikelihoodOptions = .init(), initialParameters: FittedParetoNBD.Parameters? = nil) {
        self.options = options
        self.initialParameters = initialParameters
    }

    /// Fits r, α, s, β by maximum likelihood.
    ///
    /// - Parameter data: Customers' (x, tₓ, T) and weights; identical rows are merged first.
    /// - Returns: The fitted model in `data.timeUnit`, with log-likelihood and standard errors.
    /// - Throws: `NumericsError.invalidParameter` when no customer has a repeat purchase,
    ///   `.diverged` when no start converges.
    /// - Complexity: O(distinct rows × series terms) per evaluation (about 10–30 terms at typical
    ///   parameters).
    public func fit(_ data: RFMData) throws -> FittedParetoNBD {
        let fit = try PurchaseModelFitting.fit(
            data, model: "Pareto/NBD", options: options, initial: initialParameters?.values,
            starts: { maxAge in [[1, maxAge, 1, maxAge], [0.5, maxAge / 4, 0.5, maxAge / 4], [2, maxAge * 4, 2, maxAge * 0.5]] },
            likelihood: { ParetoNBDLikelihood($0) })
        return FittedParetoNBD(fit, timeUnit: data.timeUnit)
    }
}

/// A fitted Pareto/NBD model (times in `timeUnit`).
public struct FittedParetoNBD: PurchaseModel, Equatable, Codable {
    /// λ ~ Gamma(r, α), μ ~ Gamma(s, β); α and β in time units.
    public struct Parameters: Sendable, Equatable, Codable {
        public var r: Double
        public var alpha: Double
        public var s: Double
        public var beta: Double
        public init(r: Double, alpha: Double, s: Double, beta: Double) {
            self.r = r; self.alpha = alpha; self.s = s; self.beta = beta
        }
        /// From the optimiser's order (r, α, s, β).
        init(_ v: [Double]) { self.init(r: v[0], alpha: v[1], s: v[2], beta: v[3]) }
        /// In the optimiser's order (r, α, s, β).
        var values: [Double] { [r, alpha, s, beta] }
    }

    /// Maximum-likelihood parameters.
    public let params: Parameters
    /// Standard errors from the inverse Hessian in (r, α, s, β); nil when not positive definite.
    public let standardErrors: Parameters?
    /// Maximised total log-likelihood.
    public let logLikelihood: Double
    /// Unit of α, β and of every time argument.
    public let timeUnit: TimeUnit
    /// Number of customers (total weight) fitted.
    public let customerCount: Double
    /// Optimiser statistics.
    public let diagnostics: FitDiagnostics

    /// A model from known parameters; fit statistics are empty.
    public init(params: Parameters, timeUnit: TimeUnit) {
        self.init(params: params, standardErrors: nil, logLikelihood: .nan, timeUnit: timeUnit, customerCount: 0,
                  diagnostics: .none)
    }

    init(params: Parameters, standardErrors: Parameters?, logLikelihood: Double, timeUnit: TimeUnit,
         customerCount: Double, diagnostics: FitDiagnostics) {
        self.params = params
        self.standardErrors = standardErrors
        self.logLikelihood = logLikelihood
        self.timeUnit = timeUnit
        self.customerCount = customerCount
        self.diagnostics = diagnostics
    }

    /// The model a maximum-likelihood fit found.
    init(_ fit: MaximumLikelihoodFit, timeUnit: TimeUnit) {
        self.init(params: Parameters(fit.parameters), standardErrors: fit.standardErrors.map(Parameters.init),
                  logLikelihood: fit.logLikelihood, timeUnit: timeUnit, customerCount: fit.customerCount,
                  diagnostics: fit.diagnostics)
    }

    /// (1 − qᵉ)/e for 0 < q ≤ 1, with its limit −ln q at e = 0.
    static func powerIntegral(_ q: Double, _ e: Double) -> Double {
        let lq = log(q)
        return abs(e * lq) < 1e-12 ? -lq : -expm1(e * lq) / e
    }

    /// E[X(t)] = r β / α · [1 − (β/(β+t))^(s−1)] / (s − 1)  (note 009, eq. 27).
    public func expectedPurchases(t: Double) -> Double {
        let (r, alpha, s, beta) = (params.r, params.alpha, params.s, params.beta)
        guard t > 0 else { return 0 }
        return r * beta / alpha * Self.powerIntegral(beta / (beta + t), s - 1)
    }

    /// E[X(t) | x, tₓ, T] = P(alive) · (r+x)(β+T) / (α+T) · [1 − ((β+T)/(β+T+t))^(s−1)] / (s − 1)
    /// (note 009, eq. 41).
    public func expectedPurchases(t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, s, beta) = (params.r, params.alpha, params.s, params.beta)
        guard t > 0 else { return 0 }
        return probabilityAlive(frequency: x, recency: tx, age: T) * (r + x) * (beta + T) / (alpha + T)
            * Self.powerIntegral((beta + T) / (beta + T + t), s - 1)
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + s · I · (α+T)^(r+x) (β+T)^s)  (note 009, eq. 36).
    public func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, s, beta) = (params.r, params.alpha, params.s, params.beta)
        let li = ParetoNBDLikelihood.logIntegral(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T).value
        return 1 / (1 + exp(log(s) + li + (r + x) * log(alpha + T) + s * log(beta + T)))
    }

    /// The model with α and β re-expressed in `unit`.
    public func converted(to unit: TimeUnit) -> FittedParetoNBD {
        let f = timeUnit.convert(1, to: unit)
        var p = params
        p.alpha *= f; p.beta *= f
        var se = standardErrors
        se?.alpha *= f; se?.beta *= f
        return FittedParetoNBD(params: p, standardErrors: se, logLikelihood: logLikelihood, timeUnit: unit,
                               customerCount: customerCount, diagnostics: diagnostics)
    }

    /// ln L of one customer (see `ParetoNBD`).
    public func logLikelihood(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, s, beta) = (params.r, params.alpha, params.s, params.beta)
        let li = ParetoNBDLikelihood.logIntegral(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T).value
        let a = -(r + x) * log(alpha + T) - s * log(beta + T)
        return SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha) + s * log(beta)
            + SpecialFunctions.logAddExp(a, log(s) + li)
    }
}

/// Mean negative Pareto/NBD log-likelihood over compressed rows, with its gradient.
struct ParetoNBDLikelihood: PurchaseLikelihood {
    let data: CompressedRFM

    init(_ data: CompressedRFM) { self.data = data }

    /// ln I and its partial derivatives in (r, α, s, β), I = ∫_{tₓ}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ.
    struct LogIntegral {
        var value: Double
        var dr = 0.0, dAlpha = 0.0, ds = 0.0, dBeta = 0.0
    }

    /// Series region: z = |α−β|/(max(α,β)+tₓ) at most this.
    static let seriesLimit = 0.8

    static func logIntegral(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double,
                            gradient: Bool = false) -> LogIntegral {
        let caseA = alpha >= beta
        let m = caseA ? alpha : beta
        let lnMtx = log(m + tx), lnMT = log(m + T)
        return logIntegral(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T,
                           lnMtx: lnMtx, lnMT: lnMT, gradient: gradient)
    }

    /// As above, with ln(M+tₓ) and ln(M+T) supplied (M = max(α, β)).
    static func logIntegral(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double,
                            lnMtx: Double, lnMT: Double, gradient: Bool) -> LogIntegral {
        if tx >= T { return LogIntegral(value: -.infinity) }
        let caseA = alpha >= beta
        let m = caseA ? alpha : beta
        let d = caseA ? alpha - beta : beta - alpha
        let bb = caseA ? s + 1 : r + x
        let a = r + s + x
        let y1 = 1 / (m + tx)
        let z1 = d * y1
        if z1 > seriesLimit {
            var out = LogIntegral(value: fractionLogIntegral(a: a, bb: bb, m: m, d: d, tx: tx, T: T))
            if gradient {
                // Rare path: central differences of the continued-fraction value.
                func at(_ r: Double, _ al: Double, _ s: Double, _ be: Double) -> Double {
                    let ca = al >= be
                    let mm = ca ? al : be
                    return fractionLogIntegral(a: r + s + x, bb: ca ? s + 1 : r + x, m: mm, d: abs(al - be), tx: tx, T: T)
                }
                let h = 1e-6
                out.dr = (at(r * (1 + h), alpha, s, beta) - at(r * (1 - h), alpha, s, beta)) / (2 * h * r)
                out.dAlpha = (at(r, alpha * (1 + h), s, beta) - at(r, alpha * (1 - h), s, beta)) / (2 * h * alpha)
                out.ds = (at(r, alpha, s * (1 + h), beta) - at(r, alpha, s * (1 - h), beta)) / (2 * h * s)
                out.dBeta = (at(r, alpha, s, beta * (1 + h)) - at(r, alpha, s, beta * (1 - h))) / (2 * h * beta)
            }
            return out
        }
        let lnY1 = -lnMtx
        let L = lnMtx - lnMT            // ln ρ, ρ = (M+tₓ)/(M+T) ≤ 1
        let oneMinusRho = -expm1(L)
        let rho = 1 - oneMinusRho
        var e = -expm1(a * L)           // E_k = 1 − ρ^(a+k)
        var rpow = exp(a * L)           // ρ^(a+k)
        var c = 1.0, zk = 1.0, zkm1 = 0.0, h = 0.0
        var sum = 0.0, sa = 0.0, sb = 0.0, sd = 0.0, sm = 0.0
        var k = 0.0
        let absL = abs(L), absLnY1 = abs(lnY1)
        for _ in 0..<100_000 {
            let ek = a + k
            let eNext = e + rpow * oneMinusRho
            let base = c * zk
            let ts = base * e / ek
            sum += ts
            if !gradient {
                if k >= 1 && ts <= 1e-17 * sum && (bb + k) * z1 < k + 1 { break }
            } else {
                let ta = base * (lnY1 * e / ek - rpow * L / ek - e / (ek * ek))
                let tb = base * h * e / ek
                let td = k * c * zkm1 * e / ek
                let tm = base * eNext
                sa += ta; sb += tb; sd += td; sm += tm
                if k >= 2 && ts <= 1e-17 * sum && tb <= 1e-17 * sb && td <= 1e-17 * sd && tm <= 1e-17 * sm
                    && abs(ta) <= 1e-17 * (abs(sa) + sum * (absLnY1 + absL + 1)) && (bb + k) * z1 < k + 1 { break }
            }
            c *= (bb + k) / (k + 1)
            h += 1 / (bb + k)
            zkm1 = zk
            zk *= z1
            e = eNext
            rpow *= rho
            k += 1
        }
        var out = LogIntegral(value: a * lnY1 + log(sum))
        if gradient && sum > 0 {
            let dA = sa / sum, dB = sb / sum, dD = y1 * sd / sum, dM = -y1 * sm / sum
            out.dr = dA + (caseA ? 0 : dB)
            out.ds = dA + (caseA ? dB : 0)
            if caseA { out.dAlpha = dD + dM; out.dBeta = -dD } else { out.dBeta = dD + dM; out.dAlpha = -dD }
        }
        return out
    }

    /// ln I from the incomplete beta: I = d^−a [B_{z₁}(a, 1−b) − B_{z₂}(a, 1−b)], zᵢ = d/(M+tᵢ), each
    /// term taken as ln(d^−a B_z) = −a ln(M+t) + (1−b) ln(1−z) − ln a + ln CF.
    static func fractionLogIntegral(a: Double, bb: Double, m: Double, d: Double, tx: Double, T: Double) -> Double {
        if tx >= T { return -.infinity }
        func part(_ t: Double) -> Double {
            let z = d / (m + t)
            return -a * log(m + t) + (1 - bb) * log1p(-z) - log(a)
                + log(SpecialFunctions.incompleteBetaFraction(a, 1 - bb, z))
        }
        let u1 = part(tx), u2 = part(T)
        let diff = u2 - u1
        return diff < 0 ? u1 + log(-expm1(diff)) : -.infinity
    }

    /// Mean negative log-likelihood at (ln r, ln α, ln s, ln β); fills the gradient.
    func evaluate(_ lp: [Double], _ grad: inout [Double]) -> Double {
        let r = exp(lp[0]), alpha = exp(lp[1]), s = exp(lp[2]), beta = exp(lp[3])
        let m = max(alpha, beta)
        // Σ_{k<x} ln(r+k) and Σ 1/(r+k) per distinct x.
        let xs = data.xValues
        var c0 = [Double](repeating: 0, count: xs.count), dR = c0
        var sLog = 0.0, sR = 0.0, k = 0
        for j in 0..<xs.count {
            while k < xs[j] { sLog += log(r + Double(k)); sR += 1 / (r + Double(k)); k += 1 }
            c0[j] = sLog; dR[j] = sR
        }
        let tab = data.tabulated
        let ages = data.ageValues, txs = data.txValues
        let lAT = ages.map { log(alpha + $0) }, iAT = ages.map { 1 / (alpha + $0) }
        let lBT = ages.map { log(beta + $0) }, iBT = ages.map { 1 / (beta + $0) }
        let lMT = ages.map { log(m + $0) }, lMtx = txs.map { log(m + $0) }
        let lnS = log(s)
        let (sum, g) = PurchaseModelFitting.sumChunks(count: data.rowCount, dimension: 4, parallelFrom: 512) { range, g in
            var ll = 0.0, gr = 0.0, gal = 0.0, gs = 0.0, gbe = 0.0
            for i in range {
                let x = data.x[i], j = Int(data.xIndex[i]), w = data.weight[i]
                let tx = data.tx[i], T = data.age[i]
                let la, ia, lb, ib, lm, lmtx: Double
                if tab {
                    let it = Int(data.ageIndex[i])
                    la = lAT[it]; ia = iAT[it]; lb = lBT[it]; ib = iBT[it]; lm = lMT[it]
                    lmtx = lMtx[Int(data.txIndex[i])]
                } else {
                    la = log(alpha + T); ia = 1 / (alpha + T); lb = log(beta + T); ib = 1 / (beta + T)
                    lm = log(m + T); lmtx = log(m + tx)
                }
                let li = Self.logIntegral(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T,
                                          lnMtx: lmtx, lnMT: lm, gradient: true)
                let A = -(r + x) * la - s * lb
                let B = lnS + li.value
                let l = SpecialFunctions.logAddExp(A, B)
                let wA = exp(A - l), wB = B == -.infinity ? 0 : exp(B - l)
                ll += w * (c0[j] + l)
                gr += w * (dR[j] - wA * la + wB * li.dr)
                gal += w * (-wA * (r + x) * ia + wB * li.dAlpha)
                gs += w * (-wA * lb + wB * (1 / s + li.ds))
                gbe += w * (-wA * s * ib + wB * li.dBeta)
            }
            g[0] = gr; g[1] = gal; g[2] = gs; g[3] = gbe
            return ll
        }
        let W = data.totalWeight
        let total = sum + W * (r * lp[1] + s * lp[3])
        grad[0] = -(g[0] + W * lp[1]) * r / W
        grad[1] = -(g[1] + W * r / alpha) * alpha / W
        grad[2] = -(g[2] + W * lp[3]) * s / W
        grad[3] = -(g[3] + W * s / beta) * beta / W
        return -total / W
    }
}
