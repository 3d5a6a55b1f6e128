import Foundation
import RetainCore

/// Settings of the BG/NBD purchase model (Fader, Hardie & Lee 2005, "Counting your customers the
/// easy way", Marketing Science 24(2)).
///
/// While active a customer buys as a Poisson process with rate λ ~ Gamma(r, α) (shape r, rate α,
/// in purchases per time unit); after each repeat purchase they drop out for good with probability
/// p ~ Beta(a, b). The likelihood of one customer with history (x, tₓ, T) is
///
///     L = B(a, b+x)/B(a, b) · Γ(r+x) αʳ / Γ(r) · [ (α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+tₓ)^−(r+x) ]
///
/// and `fit` maximises Σ wᵢ ln Lᵢ over (r, α, a, b) with an analytic gradient (the same objective
/// as lifetimes' `BetaGeoFitter` with `penalizer_coef=0`).
public struct BetaGeometricNBD: PurchaseModelFitter {
    /// Optimiser settings.
    public var options: MaximumLikelihoodOptions
    /// Optional starting point (tried first); default: built-in starts.
    public var initialParameters: FittedBetaGeometricNBD.Parameters?

    /// Creates the settings.
    public init(options: MaximumLikelihoodOptions = .init(), initialParameters: FittedBetaGeometricNBD.Parameters? = nil) {
        self.options = options
        self.initialParameters = initialParameters
    }

    /// Fits r, α, a, b by maximum likelihood.
    ///
    /// - Parameter data: Customers' (x, tₓ, T) and weights; identical rows are merged first.
    /// - Returns: The fitted model in `data.timeUnit`, with log-likelihood and standard errors.
    /// - Throws: `NumericsError.invalidParameter` when no customer has a repeat purchase (the
    ///   dropout process is then not identified), `.diverged` when no start converges.
    /// - Complexity: O(distinct rows + distinct tₓ + distinct T + max x) per likelihood evaluation,
    ///   typically 30–60 evaluations.
    public func fit(_ data: RFMData) throws -> FittedBetaGeometricNBD {
        let fit = try PurchaseModelFitting.fit(
            data, model: "BG/NBD", options: options, initial: initialParameters?.values,
            starts: { maxAge in [[1, maxAge, 1, 1], [0.25, maxAge / 10, 0.8, 2.5], [2, maxAge * 4, 3, 10]] },
            likelihood: { BGNBDLikelihood($0) })
        return FittedBetaGeometricNBD(fit, timeUnit: data.timeUnit)
    }
}

/// A fitted BG/NBD model: parameters, fit statistics and predictions (times in `timeUnit`).
public struct FittedBetaGeometricNBD: PurchaseModel, Equatable, Codable {
    /// The BG/NBD parameters: λ ~ Gamma(r, α) (α in time units), p ~ Beta(a, b).
    public struct Parameters: Sendable, Equatable, Codable {
        public var r: Double
        public var alpha: Double
        public var a: Double
        public var b: Double
        public init(r: Double, alpha: Double, a: Double, b: Double) {
            self.r = r; self.alpha = alpha; self.a = a; self.b = b
        }
        /// From the optimiser's order (r, α, a, b).
        init(_ v: [Double]) { self.init(r: v[0], alpha: v[1], a: v[2], b: v[3]) }
        /// In the optimiser's order (r, α, a, b).
        var values: [Double] { [r, alpha, a, b] }
    }

    /// Maximum-likelihood parameters.
    public let params: Parameters
    /// Standard errors from the inverse Hessian of the negative log-likelihood in (r, α, a, b);
    /// nil when that Hessian is not positive definite.
    public let standardErrors: Parameters?
    /// Maximised total log-likelihood.
    public let logLikelihood: Double
    /// Unit of α and of every time argument.
    public let timeUnit: TimeUnit
    /// Number of customers (total weight) fitted.
    public let customerCount: Double
    /// Optimiser statistics.
    public let diagnostics: FitDiagnostics

    /// A model from known parameters (e.g. read from a model bundle); fit statistics are empty.
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

    /// E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b; a+b−1; t/(α+t))]  (FHL 2005, eq. 9).
    public func expectedPurchases(t: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        guard t > 0 else { return 0 }
        let z = t / (alpha + t)
        let lh = SpecialFunctions.logHypergeometric2F1(r, b, a + b - 1, z)
        return (a + b - 1) / (a - 1) * -expm1(r * log(alpha / (alpha + t)) + lh)
    }

    /// E[X(t) | x, tₓ, T] (FHL 2005, eq. 10):
    ///
    ///     (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
    ///     / [1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x)]
    public func expectedPurchases(t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        guard t > 0 else { return 0 }
        let z = t / (alpha + T + t)
        let lh = SpecialFunctions.logHypergeometric2F1(r + x, b + x, a + b + x - 1, z)
        let numerator = (a + b + x - 1) / (a - 1) * -expm1((r + x) * log((alpha + T) / (alpha + T + t)) + lh)
        return numerator * probabilityAlive(frequency: x, recency: tx, age: T)
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+tₓ))^(r+x))  (Hardie, note 021).
    public func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        guard x > 0 else { return 1 }
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        let logOdds = log(a / (b + x - 1)) + (r + x) * log((alpha + T) / (alpha + tx))
        return 1 / (1 + exp(logOdds))
    }

    /// The model with α re-expressed in `unit` (α per week = 7 · α per day, and so on).
    public func converted(to unit: TimeUnit) -> FittedBetaGeometricNBD {
        let f = timeUnit.convert(1, to: unit)
        var p = params
        p.alpha *= f
        var se = standardErrors
        se?.alpha *= f
        // The time density of x purchases changes by f^−x per customer; the log-likelihood of the
        // same data expressed in `unit` is not comparable across units, so it is left unchanged.
        return FittedBetaGeometricNBD(params: p, standardErrors: se, logLikelihood: logLikelihood, timeUnit: unit,
                                      customerCount: customerCount, diagnostics: diagnostics)
    }

    /// ln L of one customer (see `BetaGeometricNBD`).
    public func logLikelihood(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        BGNBDLikelihood.single(params, x: x, tx: tx, T: T)
    }

    /// Simulated (x, tₓ, T) for customers of the given ages: λ ~ Gamma(r, α), p ~ Beta(a, b), Poisson
    /// purchases while active, dropout with probability p after each repeat purchase.
    func simulate(ages: [Double], using rng: inout SeededGenerator) -> RFMData {
        var x = [Double](), tx = [Double]()
        x.reserveCapacity(ages.count); tx.reserveCapacity(ages.count)
        for T in ages {
            let lambda = Sampling.gamma(shape: params.r, using: &rng) / params.alpha
            let p = Sampling.beta(params.a, params.b, using: &rng)
            var t = 0.0, n = 0.0, last = 0.0
            while true {
                t += -log1p(-rng.nextUnit()) / lambda
                if t > T { break }
                n += 1; last = t
                if rng.nextUnit() < p { break }
            }
            x.append(n); tx.append(last)
        }
        return RFMData(unchecked: x, tx, ages, [Double](repeating: 1, count: ages.count), timeUnit)
    }
}

/// Mean negative log-likelihood of the BG/NBD (or, with `modified`, the MBG/NBD) over compressed
/// rows, with its gradient in log-parameters.
///
/// Both share the form ln L = Σ_{k<x} ln(r+k) + r ln α + Σ_{k<x+m} ln((b+k)/(a+b+k))
/// + ln[(α+T)^−(r+x) + δ · a/(b+x−1+m) · (α+tₓ)^−(r+x)], with m = 0, δ = 1{x>0} for BG/NBD and
/// m = 1, δ = 1 for MBG/NBD (Batislam et al. 2007); lnΓ ratios are finite sums because x is whole.
struct BGNBDLikelihood: PurchaseLikelihood {
    let data: CompressedRFM
    let modified: Bool

    init(_ data: CompressedRFM, modified: Bool = false) {
        self.data = data
        self.modified = modified
    }

    /// ln L of one BG/NBD customer.
    static func single(_ p: FittedBetaGeometricNBD.Parameters, x: Double, tx: Double, T: Double) -> Double {
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b)
        let a1 = SpecialFunctions.logGamma(r + x) - SpecialFunctions.logGamma(r) + r * log(alpha)
        let a2 = SpecialFunctions.logGamma(a + b) + SpecialFunctions.logGamma(b + x)
            - SpecialFunctions.logGamma(b) - SpecialFunctions.logGamma(a + b + x)
        let a3 = -(r + x) * log(alpha + T)
        guard x > 0 else { return a1 + a2 + a3 }
        let a4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + tx)
        return a1 + a2 + SpecialFunctions.logAddExp(a3, a4)
    }

    /// Mean negative log-likelihood at log-parameters `lp` = (ln r, ln α, ln a, ln b); fills the gradient.
    func evaluate(_ lp: [Double], _ grad: inout [Double]) -> Double {
        let r = exp(lp[0]), alpha = exp(lp[1]), a = exp(lp[2]), b = exp(lp[3])
        let m = modified ? 1 : 0
        // Tables over distinct x: Σ_{k<x} ln(r+k), Σ_{k<x+m} ln((b+k)/(a+b+k)) and their derivatives.
        let xs = data.xValues
        let nx = xs.count
        var c0 = [Double](repeating: 0, count: nx), dR = c0, dA = c0, dB = c0, lbx = c0, ibx = c0
        var sLogR = 0.0, sR = 0.0, kr = 0
        var sLogB = 0.0, sA = 0.0, sB = 0.0, kb = 0
        for j in 0..<nx {
            while kr < xs[j] {
                let kd = Double(kr)
                sLogR += log(r + kd)
                sR += 1 / (r + kd)
                kr += 1
            }
            while kb < xs[j] + m {
                let kd = Double(kb)
                sLogB += log(b + kd) - log(a + b + kd)
                let iab = 1 / (a + b + kd)
                sA -= iab
                sB += 1 / (b + kd) - iab
                kb += 1
            }
            c0[j] = sLogR + sLogB; dR[j] = sR; dA[j] = sA; dB[j] = sB
            let bx = modified ? b + Double(xs[j]) : b + Double(max(xs[j], 1)) - 1
            lbx[j] = log(bx); ibx[j] = 1 / bx
        }
        let lnA = log(a)
        let modified = self.modified
        let tab = data.tabulated
        let tT = data.ageValues.map { log(alpha + $0) }, iT = data.ageValues.map { 1 / (alpha + $0) }
        let tTx = data.txValues.map { log(alpha + $0) }, iTx = data.txValues.map { 1 / (alpha + $0) }
        let (sum, g) = PurchaseModelFitting.sumChunks(count: data.rowCount, dimension: 4, parallelFrom: 8_192) { range, g in
            var ll = 0.0, gr = 0.0, gal = 0.0, ga = 0.0, gb = 0.0
            data.x.withUnsafeBufferPointer { xp in data.xIndex.withUnsafeBufferPointer { xi in
            data.tx.withUnsafeBufferPointer { txp in data.age.withUnsafeBufferPointer { agp in
            data.txIndex.withUnsafeBufferPointer { ti in data.ageIndex.withUnsafeBufferPointer { ai in
            data.weight.withUnsafeBufferPointer { wp in
                for i in range {
                    let x = xp[i], j = Int(xi[i]), w = wp[i]
                    let rx = r + x
                    let lT: Double, iTi: Double
                    if tab { let it = Int(ai[i]); lT = tT[it]; iTi = iT[it] }
                    else { let v = alpha + agp[i]; lT = log(v); iTi = 1 / v }
                    let a3 = -rx * lT
                    var l = a3, p3 = 1.0, p4 = 0.0, ltx = 0.0, itx = 0.0
                    if x > 0 || modified {
                        if tab { let k = Int(ti[i]); ltx = tTx[k]; itx = iTx[k] }
                        else { let v = alpha + txp[i]; ltx = log(v); itx = 1 / v }
                        let a4 = lnA - lbx[j] - rx * ltx
                        let e = exp(-abs(a3 - a4))
                        let inv = 1 / (1 + e)
                        if a3 >= a4 { l = a3 + log1p(e); p3 = inv; p4 = e * inv }
                        else { l = a4 + log1p(e); p4 = inv; p3 = e * inv }
                    }
                    ll += w * (c0[j] + l)
                    gr += w * (dR[j] - p3 * lT - p4 * ltx)
                    gal += w * (-rx * (p3 * iTi + p4 * itx))
                    ga += w * (dA[j] + p4 / a)
                    gb += w * (dB[j] - p4 * ibx[j])
                }
            } } } } } } }
            g[0] = gr; g[1] = gal; g[2] = ga; g[3] = gb
            return ll
        }
        let W = data.totalWeight
        let lnAlpha = lp[1]
        let total = sum + W * r * lnAlpha
        // d/dr adds W ln α; d/dα adds W r / α. Chain rule to log-parameters: ∂/∂ln θ = θ ∂/∂θ.
        grad[0] = -(g[0] + W * lnAlpha) * r / W
        grad[1] = -(g[1] + W * r / alpha) * alpha / W
        grad[2] = -g[2] * a / W
        grad[3] = -g[3] * b / W
        return -total / W
    }
}

/// Random variates for the simulators (Marsaglia–Tsang gamma, beta as a gamma ratio).
enum Sampling {
    static func normal(using rng: inout SeededGenerator) -> Double {
        let u1 = 1 - rng.nextUnit(), u2 = rng.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Gamma(shape, 1).
    static func gamma(shape: Double, using rng: inout SeededGenerator) -> Double {
        if shape < 1 {
            let u = 1 - rng.nextUnit()
            return gamma(shape: shape + 1, using: &rng) * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat { x = normal(using: &rng); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = 1 - rng.nextUnit()
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    static func beta(_ a: Double, _ b: Double, using rng: inout SeededGenerator) -> Double {
        let x = gamma(shape: a, using: &rng), y = gamma(shape: b, using: &rng)
        return x / (x + y)
    }
}
