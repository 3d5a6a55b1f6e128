import Foundation
import RetainCore

/// Settings of the modified BG/NBD (MBG/NBD) purchase model (Batislam, Denizel & Filiztekin 2007,
/// "Empirical validation and comparison of models for customer base analysis", IJRM 24(3)).
///
/// As BG/NBD, but a customer may also drop out right after the first purchase, so customers with
/// no repeat purchase are not certain to be alive. The likelihood of (x, tₓ, T) is
///
///     L = B(a, b+x+1)/B(a, b) · Γ(r+x) αʳ / Γ(r) · [ (α+T)^−(r+x) + a/(b+x) · (α+tₓ)^−(r+x) ]
///
/// (lifetimes' `ModifiedBetaGeoFitter`). Fitted with an analytic gradient.
public struct ModifiedBetaGeometricNBD: PurchaseModelFitter {
    /// Optimiser settings.
    public var options: MaximumLikelihoodOptions
    /// Optional starting point (tried first); default: built-in starts.
    public var initialParameters: FittedModifiedBetaGeometricNBD.Parameters?

    /// Creates the settings.
    public init(options: MaximumLikelihoodOptions = .init(), initialParameters: FittedModifiedBetaGeometricNBD.Parameters? = nil) {
        self.options = options
        self.initialParameters = initialParameters
    }

    /// Fits r, α, a, b by maximum likelihood.
    ///
    /// - Parameter data: Customers' (x, tₓ, T) and weights; identical rows are merged first.
    /// - Returns: The fitted model in `data.timeUnit`.
    /// - Throws: `NumericsError.invalidParameter` when no customer has a repeat purchase,
    ///   `.diverged` when no start converges.
    /// - Complexity: O(distinct rows + distinct tₓ + distinct T + max x) per evaluation.
    public func fit(_ data: RFMData) throws -> FittedModifiedBetaGeometricNBD {
        let fit = try PurchaseModelFitting.fit(
            data, model: "MBG/NBD", options: options, initial: initialParameters?.values,
            starts: { maxAge in [[1, maxAge, 1, 1], [0.5, maxAge / 6, 0.9, 1.6], [2, maxAge * 4, 3, 10]] },
            likelihood: { BGNBDLikelihood($0, modified: true) })
        return FittedModifiedBetaGeometricNBD(fit, timeUnit: data.timeUnit)
    }
}

/// A fitted MBG/NBD model (times in `timeUnit`).
public struct FittedModifiedBetaGeometricNBD: PurchaseModel, Equatable, Codable {
    /// λ ~ Gamma(r, α), p ~ Beta(a, b), as in BG/NBD.
    public typealias Parameters = FittedBetaGeometricNBD.Parameters

    /// Maximum-likelihood parameters.
    public let params: Parameters
    /// Standard errors from the inverse Hessian in (r, α, a, b); nil when not positive definite.
    public let standardErrors: Parameters?
    /// Maximised total log-likelihood.
    public let logLikelihood: Double
    /// Unit of α and of every time argument.
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

    /// E[X(t)] = b/(a−1) · [1 − (α/(α+t))ʳ ₂F₁(r, b+1; a+b; t/(α+t))].
    public func expectedPurchases(t: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        guard t > 0 else { return 0 }
        let lh = SpecialFunctions.logHypergeometric2F1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * -expm1(r * log(alpha / (alpha + t)) + lh)
    }

    /// E[X(t) | x, tₓ, T] = (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]
    /// · P(alive | x, tₓ, T)  (Wagner & Hoppe 2008; lifetimes).
    public func expectedPurchases(t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        guard t > 0 else { return 0 }
        let lh = SpecialFunctions.logHypergeometric2F1(r + x, b + x + 1, a + b + x, t / (alpha + T + t))
        let numerator = (a + b + x) / (a - 1) * -expm1((r + x) * log((alpha + T) / (alpha + T + t)) + lh)
        return numerator * probabilityAlive(frequency: x, recency: tx, age: T)
    }

    /// P(alive | x, tₓ, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+tₓ))^(r+x)) (Batislam et al. 2007, appendix A).
    public func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        return 1 / (1 + exp(log(a / (b + x)) + (r + x) * log((alpha + T) / (alpha + tx))))
    }

    /// The model with α re-expressed in `unit`.
    public func converted(to unit: TimeUnit) -> FittedModifiedBetaGeometricNBD {
        let f = timeUnit.convert(1, to: unit)
        var p = params
        p.alpha *= f
        var se = standardErrors
        se?.alpha *= f
        return FittedModifiedBetaGeometricNBD(params: p, standardErrors: se, logLikelihood: logLikelihood, timeUnit: unit,
                                              customerCount: customerCount, diagnostics: diagnostics)
    }

    /// ln L of one customer (see `ModifiedBetaGeometricNBD`).
    public func logLikelihood(frequency x: Double, recency tx: Double, age T: Double) -> Double {
        let (r, alpha, a, b) = (params.r, params.alpha, params.a, params.b)
        let lg = SpecialFunctions.logGamma
        let a1 = lg(r + x) - lg(r) + r * log(alpha)
        let a2 = lg(a + b) + lg(b + x + 1) - lg(b) - lg(a + b + x + 1)
        let a3 = -(r + x) * log(alpha + T)
        let a4 = log(a) - log(b + x) - (r + x) * log(alpha + tx)
        return a1 + a2 + SpecialFunctions.logAddExp(a3, a4)
    }
}
