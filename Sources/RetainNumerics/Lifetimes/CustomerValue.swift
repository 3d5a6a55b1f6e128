import Foundation
import RetainCore

/// Customer lifetime value by discounted cash flow over a stated horizon.
///
///     CLV = Σ_{k=1}^{n} v · (E[X(tₖ) | x, tₓ, T] − E[X(tₖ₋₁) | x, tₓ, T]) / (1 + d)^k,   tₖ = k · period
///
/// where n = `periods`, one period is one `periodUnit`, d = `discountRate` per period, and v is the
/// expected value per transaction (usually the Gamma-Gamma E[Z | x, m̄]). This is lifetimes'
/// `customer_lifetime_value`, with the period length taken from the units rather than from a
/// guess: the horizon is converted into the purchase model's own time unit, so a model fitted in
/// weeks and a 12-month horizon step by 30.4375 / 7 = 4.348 weeks. (lifetimes 0.11.3 steps by a
/// `freq`-dependent factor: 4.345 weeks or 30 days a month; a model fitted in weeks but stepped as
/// if its unit were days or months is the common mistake this API rules out.)
public struct CustomerLifetimeValue: Sendable, Equatable, Codable {
    /// Number of cash-flow periods n (≥ 1). Default 12.
    public var periods: Int
    /// Length of one period. Default `.month`.
    public var periodUnit: TimeUnit
    /// Discount rate per period d (> −1). Default 0.01 (1% per month ≈ 12.7% a year).
    public var discountRate: Double

    /// Creates the settings; see the properties for the defaults.
    public init(periods: Int = 12, periodUnit: TimeUnit = .month, discountRate: Double = 0.01) {
        self.periods = periods
        self.periodUnit = periodUnit
        self.discountRate = discountRate
    }

    func validate() throws {
        guard periods >= 1 else {
            throw NumericsError.invalidParameter(name: "periods", value: "\(periods)",
                reason: "the CLV horizon needs at least 1 period (e.g. 12 monthly periods).")
        }
        guard discountRate > -1, discountRate.isFinite else {
            throw NumericsError.invalidParameter(name: "discountRate", value: "\(discountRate)",
                reason: "the discount rate is per \(periodUnit.rawValue) and must be > -1 (e.g. 0.01 for 1% a month).")
        }
    }

    /// The period end times t₁…tₙ in `unit`.
    public func periodEnds(in unit: TimeUnit) -> [Double] {
        (1...max(periods, 1)).map { periodUnit.convert(Double($0), to: unit) }
    }

    /// Discounted value of one customer.
    ///
    /// - Parameters:
    ///   - model: A fitted purchase model; `recency` and `age` are in its `timeUnit`.
    ///   - averageValue: Expected value per future transaction.
    /// - Throws: `NumericsError.invalidParameter` for a bad horizon or discount rate.
    /// - Complexity: O(periods) conditional expectations.
    public func value(model: some PurchaseModel, averageValue: Double,
                      frequency: Double, recency: Double, age: Double) throws -> Double {
        try validate()
        return discounted(model: model, ends: periodEnds(in: model.timeUnit), averageValue: averageValue,
                          frequency: frequency, recency: recency, age: age)
    }

    /// Discounted values of every customer of `data`, valued with the Gamma-Gamma expected spend.
    ///
    /// - Parameters:
    ///   - model: A fitted purchase model (`data` is converted to its unit).
    ///   - spend: A fitted Gamma-Gamma model (needs q > 1).
    ///   - data: Customers' (x, tₓ, T).
    ///   - monetaryValue: Each customer's mean repeat-transaction value m̄ (ignored when x = 0).
    /// - Throws: `NumericsError.dimensionMismatch`, `.invalidParameter` for a bad horizon or a
    ///   spend model with q ≤ 1 (infinite mean spend).
    /// - Complexity: O(customers × periods).
    public func values(model: some PurchaseModel, spend: FittedGammaGamma, data: RFMData,
                       monetaryValue: [Double]) throws -> [Double] {
        guard monetaryValue.count == data.count else {
            throw NumericsError.dimensionMismatch("CLV: \(data.count) customers but \(monetaryValue.count) monetary values.")
        }
        guard spend.params.q > 1 else {
            throw NumericsError.invalidParameter(name: "Gamma-Gamma q", value: "\(spend.params.q)",
                reason: "q <= 1 makes the expected spend infinite. The spend model does not fit these data; check for extreme order values.")
        }
        try validate()
        let d = data.converted(to: model.timeUnit)
        let ends = periodEnds(in: model.timeUnit)
        return (0..<d.count).map { i in
            discounted(model: model, ends: ends,
                       averageValue: spend.expectedAverageValue(frequency: d.frequency[i], monetaryValue: monetaryValue[i]),
                       frequency: d.frequency[i], recency: d.recency[i], age: d.age[i])
        }
    }

    func discounted(model: some PurchaseModel, ends: [Double], averageValue: Double,
                    frequency: Double, recency: Double, age: Double) -> Double {
        var total = 0.0, previous = 0.0, factor = 1.0
        let step = 1 / (1 + discountRate)
        for t in ends {
            let cumulative = model.expectedPurchases(t: t, frequency: frequency, recency: recency, age: age)
            factor *= step
            total += averageValue * (cumulative - previous) * factor
            previous = cumulative
        }
        return total
    }
}
