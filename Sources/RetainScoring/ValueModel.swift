import Dispatch
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainNumerics

/// How `retain` values a customer (`predicted_value`), fitted at training time and stored in the
/// churn bundle (`value`), so that scoring values every customer the same way whoever else is scored.
///
/// Two methods:
/// - `bgnbd-gamma-gamma` (when the log has purchases with values and the fits succeed): BG/NBD
///   (Fader, Hardie & Lee 2005) and Gamma-Gamma fitted by maximum likelihood on the transactions
///   (one per customer and UTC day) before the training as-of date. A customer's value as of T is
///   lifetimes' `customer_lifetime_value`: `Σ_{k=1}^{n} E[Z | x, m̄] · (E[X(t_k)] − E[X(t_{k−1})]) / (1 + d)^k`
///   over `horizonMonths` monthly periods t_k with the monthly discount d, from the customer's
///   frequency x, recency t_x, age T and mean repeat value m̄ on purchases before T; `P(alive)` is
///   BG/NBD's. A customer with no purchase before T is valued 0 (the models describe repeat buying).
/// - `revenue-rate` (no purchases, no values, or a fit that failed, with the reason in `note`):
///   `observed purchase value before T / max(observed tenure, minimumTenureDays) × horizon days`,
///   where the observed tenure is the days since the customer's first event. No P(alive).
///
/// Neither divides by the churn probability. `highValueCut` is the value of the top
/// `highValueFraction` of the training population (every customer with an event before the training date).
public struct ValueModel: Codable, Sendable, Equatable {
    /// The value method.
    public enum Method: String, Codable, Sendable {
        case purchaseModel = "bgnbd-gamma-gamma"
        case revenueRate = "revenue-rate"
    }

    /// Settings of a value model: horizon, discount, minimum tenure and the high-value fraction.
    public struct Settings: Sendable, Equatable {
        /// Months of the value horizon (≥ 1). Default 12.
        public var horizonMonths: Int = 12
        /// Discount rate per month (> −1). Default 0.01, as lifetimes' `customer_lifetime_value`.
        public var discountPerMonth: Double = 0.01
        /// Shortest tenure the revenue rate divides by, in days. Default 90.
        public var minimumTenureDays: Double = 90
        /// Share of the training population that is `high_value`. Default 0.1.
        public var highValueFraction: Double = 0.1

        public init() {}
    }

    public var method: Method
    public var horizonMonths: Int
    public var discountPerMonth: Double
    public var minimumTenureDays: Double
    /// Unit of the BG/NBD rates (weeks).
    public var timeUnit: TimeUnit
    /// BG/NBD parameters (`bgnbd-gamma-gamma` only).
    public var bgnbd: FittedBetaGeometricNBD.Parameters?
    /// Gamma-Gamma parameters (`bgnbd-gamma-gamma` only; q > 1).
    public var gammaGamma: FittedGammaGamma.Parameters?
    /// `high_value` = value > 0 and value ≥ this (the training population's top `highValueFraction`).
    public var highValueCut: Double
    public var highValueFraction: Double
    /// Customers of the training population the cut-off was taken from.
    public var trainingCustomers: Int
    /// The definition in words (printed by `retain train` and `retain models show`).
    public var definition: String
    /// Why the revenue rate is used instead of the purchase model (nil with the purchase model).
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case method, bgnbd, definition, note
        case horizonMonths = "horizon_months", discountPerMonth = "discount_per_month", minimumTenureDays = "minimum_tenure_days"
        case timeUnit = "time_unit", gammaGamma = "gamma_gamma", highValueCut = "high_value_cut"
        case highValueFraction = "high_value_fraction", trainingCustomers = "training_customers"
    }

    /// The horizon in days (months of 30.4375 days).
    public var horizonDays: Double { TimeUnit.month.convert(Double(horizonMonths), to: .day) }

    /// One customer's value as of a date.
    public struct Estimate: Sendable, Equatable {
        /// Expected (discounted) value over the horizon.
        public var value: Double
        /// BG/NBD's probability that the customer is still alive (NaN with the revenue rate).
        public var probabilityAlive: Double
        public init(value: Double, probabilityAlive: Double) { self.value = value; self.probabilityAlive = probabilityAlive }
    }

    /// A customer's purchases and first event before a date: what a value needs.
    public struct History: Sendable {
        /// Transactions (one per customer and UTC day) before the date.
        public var purchases: PurchaseLog
        /// Day (since 1970-01-01) of each customer's first event before the date, by customer index; NaN if none.
        public var firstDay: [Double]
        /// The date as a day number: every transaction and first day is before it.
        public var asOfDay: Double
    }

    /// Reads the purchases (events with the `purchase` role) and each customer's first event before `asOf`.
    ///
    /// - Parameters:
    ///   - reader: A fresh reader (it reads once).
    ///   - roles: The role mapping.
    ///   - asOf: Unix seconds; events at or after it are ignored.
    /// - Throws: What the reader throws.
    /// - Complexity: O(events + customers).
    public static func readHistory(_ reader: EventLogReader, roles: RoleMap, asOf: Double) throws -> History {
        var builder = PurchaseLog.Builder()
        var first: [Double] = []
        _ = try reader.read { batch in
            var kept = EventBatch()
            for i in 0..<batch.count where batch.time[i] < asOf {
                let c = Int(batch.customer[i])
                if c >= first.count { first += [Double](repeating: .infinity, count: c + 1 - first.count) }
                first[c] = min(first[c], batch.time[i])
                kept.customer.append(batch.customer[i]); kept.type.append(batch.type[i])
                kept.time.append(batch.time[i]); kept.value.append(batch.value[i])
            }
            builder.add(kept, eventTypes: reader.eventTypes, roles: roles)
        }
        let log = builder.finish(customerIDs: reader.customerIDs, eventTypes: reader.eventTypes)
        var days = first.map { $0.isFinite ? ($0 / 86_400).rounded(.down) : .nan }
        if days.count < log.customerIDs.count { days += [Double](repeating: .nan, count: log.customerIDs.count - days.count) }
        return History(purchases: log, firstDay: days, asOfDay: (asOf / 86_400).rounded(.down))
    }

    /// Fits the value model on the history before the training date and takes the high-value cut-off
    /// from the training population's values (every customer with an event before the date).
    ///
    /// Never throws for the data: when the purchase model cannot be used, the revenue rate is, with the reason in `note`.
    public static func fit(_ h: History, settings s: Settings = Settings()) -> ValueModel {
        var model = ValueModel(method: .revenueRate, horizonMonths: s.horizonMonths, discountPerMonth: s.discountPerMonth,
                               minimumTenureDays: s.minimumTenureDays, timeUnit: .week, bgnbd: nil, gammaGamma: nil,
                               highValueCut: 0, highValueFraction: s.highValueFraction, trainingCustomers: h.purchases.customerIDs.count,
                               definition: "", note: nil)
        let log = h.purchases
        if log.count == 0 {
            model.note = "the log has no purchase events before the training date"
        } else if log.missingValues == log.purchaseCount {
            model.note = "no purchase event has a value (map the value column)"
        } else {
            do {
                let summary = try model.summary(log, asOfDay: h.asOfDay)
                let bg = try BetaGeometricNBD().fit(summary.data)
                var xs = [Double](), ms = [Double]()
                for i in summary.frequency.indices where summary.frequency[i] > 0 && summary.monetaryValue[i] > 0 {
                    xs.append(summary.frequency[i]); ms.append(summary.monetaryValue[i])
                }
                if xs.count < 2 {
                    model.note = "fewer than 2 repeat customers with a positive mean repeat value: the Gamma-Gamma model cannot be fitted"
                } else {
                    let gg = try GammaGamma().fit(frequency: xs, monetaryValue: ms)
                    if gg.params.q <= 1 {
                        model.note = String(format: "the Gamma-Gamma fit gives q = %.4g <= 1 (infinite expected spend; extreme order values?)", gg.params.q)
                    } else {
                        model.method = .purchaseModel
                        model.bgnbd = bg.params
                        model.gammaGamma = gg.params
                    }
                }
            } catch {
                model.note = "the purchase model could not be fitted (\(error))"
            }
        }
        model.definition = model.describe()
        // The training population: every customer with an event before the date.
        let all = model.estimates(h)
        let values = all.indices.filter { $0 < h.firstDay.count && !h.firstDay[$0].isNaN }.map { all[$0].value }
        model.trainingCustomers = values.count
        let k = max(1, Int((s.highValueFraction * Double(values.count)).rounded(.down)))
        model.highValueCut = values.isEmpty ? 0 : Scorer.kthLargest(values, min(k, values.count))
        return model
    }

    /// The value definition in words.
    func describe() -> String {
        let horizon = "\(horizonMonths) months"
        switch method {
        case .purchaseModel:
            return String(format: "predicted_value = expected discounted purchase value over %@ (BG/NBD + Gamma-Gamma fitted on purchases before the training date; monthly discount %g, as lifetimes' customer_lifetime_value); 0 for a customer with no purchase yet; P(alive) from BG/NBD", horizon, discountPerMonth)
        case .revenueRate:
            return String(format: "predicted_value = observed purchase value / max(observed tenure, %g days) x %@ (revenue rate; no discount, not divided by the churn probability)", minimumTenureDays, horizon)
                + (note.map { "; purchase model not used: " + $0 } ?? "")
        }
    }

    /// The RFM summary of transactions before `asOfDay` in this model's time unit.
    func summary(_ log: PurchaseLog, asOfDay: Double) throws -> RFMSummary {
        try RFMSummary(customers: log.customer.map { Int($0) }, times: log.day, values: log.value,
                       calibrationEnd: asOfDay - 1, timeUnit: timeUnit)
    }

    /// Every customer's value as of the history's date, by customer index of `h.purchases.customerIDs`.
    ///
    /// - Complexity: O(transactions log transactions + customers × horizon months).
    public func estimates(_ h: History) -> [Estimate] {
        let log = h.purchases, n = log.customerIDs.count
        var out = [Estimate](repeating: Estimate(value: 0, probabilityAlive: .nan), count: n)
        switch method {
        case .purchaseModel:
            guard let bg = bgnbd, let gg = gammaGamma, log.count > 0, let s = try? summary(log, asOfDay: h.asOfDay) else { return out }
            let purchase = FittedBetaGeometricNBD(params: bg, timeUnit: timeUnit)
            let spend = FittedGammaGamma(params: gg)
            let clv = CustomerLifetimeValue(periods: horizonMonths, periodUnit: .month, discountRate: discountPerMonth)
            guard let p = try? CLVAnalysis.Predictions(purchase, summary: s, spend: spend, clv: clv) else { return out }
            for (i, c) in s.customers.enumerated() {
                out[c] = Estimate(value: p.clv[i].isFinite ? p.clv[i] : 0, probabilityAlive: p.probabilityAlive[i])
            }
        case .revenueRate:
            var total = [Double](repeating: 0, count: n)
            for i in 0..<log.count where log.day[i] < h.asOfDay { total[Int(log.customer[i])] += log.value[i] }
            for c in 0..<n where total[c] != 0 {
                let first = c < h.firstDay.count ? h.firstDay[c] : .nan
                let tenure = first.isNaN ? 0 : h.asOfDay - first
                out[c].value = total[c] / max(tenure, minimumTenureDays) * horizonDays
            }
        }
        return out
    }

    /// Every customer's value as of the history's date, by customer id.
    public func estimatesByID(_ h: History) -> [String: Estimate] {
        let e = estimates(h)
        var out = [String: Estimate](minimumCapacity: e.count)
        for (c, id) in h.purchases.customerIDs.enumerated() { out[id] = e[c] }
        return out
    }
}
