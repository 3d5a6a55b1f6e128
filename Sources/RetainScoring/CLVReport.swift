import Foundation
import RetainCore
import RetainIngest
import RetainNumerics

extension CLVAnalysis {
    /// What an analysis found: its `--json` form (snake_case keys, as listed in `CodingKeys`) and,
    /// outside the JSON, the diagnostics, the fitted models and the per-customer predictions.
    public struct Report: Encodable, Sendable {
        /// The purchases file as given.
        public let source: String
        /// `bgnbd`, `mbgnbd` or `pareto`, and its published name.
        public let model: String
        public let modelName: String
        /// Unit of recency, T and the rate parameters.
        public let timeUnit: String
        /// `YYYY-MM-DD`.
        public let calibrationEnd: String
        public let holdoutEnd: String?
        /// Purchase-model parameters by name, their standard errors, the maximised log-likelihood.
        public let params: [String: Double]
        public let standardErrors: [String: Double]?
        public let logLikelihood: Double
        public let iterations: Int
        /// Customers with a calibration purchase, and those with a repeat purchase.
        public let customers: Int
        public let repeatCustomers: Int
        /// Purchase events read, and transactions (customer-days) they make.
        public let purchaseEvents: Int
        public let transactions: Int
        public let purchaseTypes: [String]
        public let gammaGamma: Spend?
        public let horizon: Int
        public let horizonUnit: String
        /// The horizon in `timeUnit`.
        public let horizonInTimeUnit: Double
        public let discount: Double
        public let discountUnit: String
        public let totals: Totals
        public let holdout: Holdout?
        public let fitSeconds: Double
        public let seconds: Timings
        public let out: String?
        /// The model file written (`saveModel`), or nil; in the JSON only when written.
        public let modelFile: String?

        // Not in the JSON.

        /// The event reader's summary (nil for a CDNOW file).
        public let ingest: IngestSummary?
        /// Why the spend model or CLV is left out, when it is.
        public let spendNote: String?
        /// The notices in the order they arose (see `Diagnostic.notice`).
        public let warnings: [String]
        /// The per-customer summary, ids by its customer indices, the fitted models (the spend model
        /// only when it values customers, q > 1) and the predictions.
        public let summary: RFMSummary
        public let customerIDs: [String]
        public let purchaseModel: FittedPurchase
        public let spendModel: FittedGammaGamma?
        public let predictions: Predictions

        enum CodingKeys: String, CodingKey {
            case source, model, params, iterations, customers, transactions, horizon, discount, totals, holdout, seconds, out
            case modelName = "model_name", timeUnit = "time_unit", calibrationEnd = "calibration_end", holdoutEnd = "holdout_end"
            case standardErrors = "standard_errors", logLikelihood = "log_likelihood", repeatCustomers = "repeat_customers"
            case purchaseEvents = "purchase_events", purchaseTypes = "purchase_types", gammaGamma = "gamma_gamma"
            case horizonUnit = "horizon_unit", horizonInTimeUnit = "horizon_in_time_unit", discountUnit = "discount_unit"
            case fitSeconds = "fit_seconds", modelFile = "model_file"
        }

        public func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(source, forKey: .source)
            try k.encode(model, forKey: .model)
            try k.encode(modelName, forKey: .modelName)
            try k.encode(timeUnit, forKey: .timeUnit)
            try k.encode(calibrationEnd, forKey: .calibrationEnd)
            try k.encode(holdoutEnd, forKey: .holdoutEnd)
            try k.encode(params, forKey: .params)
            try k.encode(standardErrors, forKey: .standardErrors)
            try k.encode(logLikelihood, forKey: .logLikelihood)
            try k.encode(iterations, forKey: .iterations)
            try k.encode(customers, forKey: .customers)
            try k.encode(repeatCustomers, forKey: .repeatCustomers)
            try k.encode(purchaseEvents, forKey: .purchaseEvents)
            try k.encode(transactions, forKey: .transactions)
            try k.encode(purchaseTypes, forKey: .purchaseTypes)
            try k.encode(gammaGamma, forKey: .gammaGamma)
            try k.encode(horizon, forKey: .horizon)
            try k.encode(horizonUnit, forKey: .horizonUnit)
            try k.encode(horizonInTimeUnit, forKey: .horizonInTimeUnit)
            try k.encode(discount, forKey: .discount)
            try k.encode(discountUnit, forKey: .discountUnit)
            try k.encode(totals, forKey: .totals)
            try k.encode(holdout, forKey: .holdout)
            try k.encode(fitSeconds, forKey: .fitSeconds)
            try k.encode(seconds, forKey: .seconds)
            try k.encode(out, forKey: .out)
            try k.encodeIfPresent(modelFile, forKey: .modelFile)
        }
    }

    /// The Gamma-Gamma part of the report.
    public struct Spend: Encodable, Sendable {
        /// p, q, gamma.
        public let params: [String: Double]
        public let standardErrors: [String: Double]?
        public let logLikelihood: Double
        /// Repeat customers fitted.
        public let customers: Int
        public let populationMeanValue: Double?

        init(_ m: FittedGammaGamma) {
            func named(_ p: FittedGammaGamma.Parameters) -> [String: Double] { ["p": p.p, "q": p.q, "gamma": p.gamma] }
            params = named(m.params)
            standardErrors = m.standardErrors.map(named)
            logLikelihood = m.logLikelihood
            customers = Int(m.customerCount)
            populationMeanValue = RetainJSON.finite(m.populationMeanValue)
        }

        enum CodingKeys: String, CodingKey {
            case p, q, gamma, customers
            case standardErrors = "standard_errors", logLikelihood = "log_likelihood", populationMeanValue = "population_mean_value"
        }

        public func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(params["p"], forKey: .p)
            try k.encode(params["q"], forKey: .q)
            try k.encode(params["gamma"], forKey: .gamma)
            try k.encode(standardErrors, forKey: .standardErrors)
            try k.encode(logLikelihood, forKey: .logLikelihood)
            try k.encode(customers, forKey: .customers)
            try k.encode(populationMeanValue, forKey: .populationMeanValue)
        }
    }

    /// Sums over the customers (CLV nil when it is not defined).
    public struct Totals: Encodable, Sendable {
        public let expectedPurchases: Double
        public let meanProbabilityAlive: Double
        public let clv: Double?
        public let meanCLV: Double?

        init(_ p: Predictions, count: Int) {
            expectedPurchases = p.expectedPurchases.reduce(0, +)
            meanProbabilityAlive = p.probabilityAlive.reduce(0, +) / Double(max(count, 1))
            let c = p.clv.reduce(0, +)
            clv = RetainJSON.finite(c)
            meanCLV = RetainJSON.finite(c / Double(max(count, 1)))
        }

        enum CodingKeys: String, CodingKey {
            case clv
            case expectedPurchases = "expected_purchases", meanProbabilityAlive = "mean_p_alive", meanCLV = "mean_clv"
        }

        public func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(expectedPurchases, forKey: .expectedPurchases)
            try k.encode(meanProbabilityAlive, forKey: .meanProbabilityAlive)
            try k.encode(clv, forKey: .clv)
            try k.encode(meanCLV, forKey: .meanCLV)
        }
    }

    /// Predicted vs actual purchases in the holdout period, in total and by calibration frequency.
    public struct Holdout: Encodable, Sendable {
        /// One calibration frequency (`0` … `6`, `7+`, or `total`).
        public struct Bucket: Encodable, Sendable {
            public let frequency: String
            public let customers: Int
            public let actual: Double
            public let predicted: Double
            public var actualMean: Double? { customers > 0 ? actual / Double(customers) : nil }
            public var predictedMean: Double? { customers > 0 ? predicted / Double(customers) : nil }

            public init(frequency: String, customers: Int, actual: Double, predicted: Double) {
                self.frequency = frequency; self.customers = customers; self.actual = actual; self.predicted = predicted
            }

            enum CodingKeys: String, CodingKey {
                case frequency, customers, actual, predicted
                case actualMean = "actual_mean", predictedMean = "predicted_mean"
            }

            public func encode(to encoder: Encoder) throws {
                var k = encoder.container(keyedBy: CodingKeys.self)
                try k.encode(frequency, forKey: .frequency)
                try k.encode(customers, forKey: .customers)
                try k.encode(actual, forKey: .actual)
                try k.encode(predicted, forKey: .predicted)
                try k.encode(actualMean, forKey: .actualMean)
                try k.encode(predictedMean, forKey: .predictedMean)
            }
        }

        /// First and last day (`YYYY-MM-DD`), length in `unit`.
        public let start: String
        public let end: String
        public let length: Double
        public let unit: String
        public let customers: Int
        public let actual: Double
        public let predicted: Double
        public let byFrequency: [Bucket]

        /// The totals as one bucket named `total`.
        public var total: Bucket { Bucket(frequency: "total", customers: customers, actual: actual, predicted: predicted) }

        /// Buckets by calibration frequency 0, 1, …, 6 and 7+.
        init(summary s: RFMSummary, predicted p: [Double], start: String, end: String) {
            var n = [Int](repeating: 0, count: 8), a = [Double](repeating: 0, count: 8), q = a
            for i in 0..<s.customers.count {
                let b = min(Int(s.frequency[i]), 7)
                n[b] += 1; a[b] += s.frequencyHoldout[i]; q[b] += p[i]
            }
            byFrequency = (0..<8).map { Bucket(frequency: $0 == 7 ? "7+" : String($0), customers: n[$0], actual: a[$0], predicted: q[$0]) }
            customers = s.customers.count
            actual = a.reduce(0, +)
            predicted = q.reduce(0, +)
            length = s.durationHoldout
            unit = s.timeUnit.rawValue
            self.start = start
            self.end = end
        }

        enum CodingKeys: String, CodingKey {
            case start, end, length, unit, customers, actual, predicted
            case byFrequency = "by_frequency"
        }
    }

    /// Wall-clock seconds of each step.
    public struct Timings: Encodable, Sendable {
        public let read: Double
        public let summary: Double
        public let fitPurchase: Double
        public let fitSpend: Double
        public let predict: Double
        public let total: Double

        enum CodingKeys: String, CodingKey {
            case read, summary, predict, total
            case fitPurchase = "fit_purchase", fitSpend = "fit_spend"
        }
    }
}
