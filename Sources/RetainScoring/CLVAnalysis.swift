import Dispatch
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// Customer lifetime value from purchase events: a buy-till-you-die purchase model (BG/NBD,
/// MBG/NBD or Pareto/NBD) and the Gamma-Gamma spend model, fitted by maximum likelihood, with
/// per-customer expected purchases, P(alive) and discounted CLV, and an optional holdout check.
///
/// ```swift
/// var options = CLVAnalysis.Options(input: EventInput(events: "events.csv"), calibrationEnd: day)
/// options.holdoutEnd = day + 90
/// let report = try CLVAnalysis.fit(options)
/// print(report.params, report.totals.clv ?? .nan)
/// ```
public enum CLVAnalysis {
    /// The purchase model.
    public enum Model: String, CaseIterable, Sendable, Codable {
        case bgnbd, mbgnbd, pareto

        /// The model's published name.
        public var title: String {
            switch self {
            case .bgnbd: return "BG/NBD"
            case .mbgnbd: return "MBG/NBD"
            case .pareto: return "Pareto/NBD"
            }
        }
    }

    /// How the purchases are read.
    public enum Format: Sendable, Equatable {
        /// An event log; purchases are the events whose type has the `purchase` role.
        case eventLog
        /// A CDNOW text file (`CDNOW_master.txt` or `CDNOW_sample.txt` layout); every line is a purchase.
        case cdnow
    }

    /// Settings of an analysis; the defaults are the published analyses' (weeks, BG/NBD) and a
    /// 12-month horizon discounted at 1% a month.
    public struct Options: Sendable, Equatable {
        /// Where the purchases come from. With `.cdnow`, `input.events` is the CDNOW file and only
        /// `input.customers` applies besides it.
        public var input: EventInput
        public var format: Format = .eventLog
        /// Last day of the calibration period (inclusive), in days since 1970-01-01 (UTC).
        public var calibrationEnd: Int
        /// Last day of the holdout period (inclusive, after `calibrationEnd`), or nil for no holdout.
        public var holdoutEnd: Int?
        /// Unit of recency, T and the rate parameters.
        public var timeUnit: TimeUnit = .week
        public var model: Model = .bgnbd
        /// CLV horizon in `horizonUnit` periods (also the span of the expected purchases), ≥ 1.
        public var horizon: Int = 12
        /// Length of one horizon period, the step of the discounting.
        public var horizonUnit: TimeUnit = .month
        /// Discount rate per `horizonUnit` period (> −1).
        public var discount: Double = 0.01
        /// Where to write the per-customer CSV (atomically, owner-only: mode 0600), or nil.
        public var out: String?
        /// Where skipped bad rows go; nil: `out` (or the event log) + `.rejects.csv`.
        public var rejectsPath: String?
        /// Where to write the fitted models as a `clv` model file (atomically), or nil.
        public var saveModel: ModelFile?

        /// A `clv` model file to write: its path and what it says about its making.
        public struct ModelFile: Sendable, Equatable {
            public var path: String
            public var createdAt: String
            public var toolVersion: String

            public init(path: String, createdAt: String, toolVersion: String) {
                self.path = path; self.createdAt = createdAt; self.toolVersion = toolVersion
            }
        }

        public init(input: EventInput, format: Format = .eventLog, calibrationEnd: Int, holdoutEnd: Int? = nil) {
            self.input = input
            self.format = format
            self.calibrationEnd = calibrationEnd
            self.holdoutEnd = holdoutEnd
        }

        /// Throws the first setting that cannot work.
        ///
        /// - Throws: `ScoringError.holdoutNotAfterCalibration`, `.clvHorizonTooShort`, `.badDiscount`,
        ///   `.cdnowWithEventSettings`.
        public func validate() throws {
            if let holdoutEnd, holdoutEnd <= calibrationEnd {
                throw ScoringError.holdoutNotAfterCalibration(holdoutEnd: day(holdoutEnd), calibrationEnd: day(calibrationEnd))
            }
            guard horizon >= 1 else { throw ScoringError.clvHorizonTooShort(horizon) }
            guard discount > -1, discount.isFinite else { throw ScoringError.badDiscount(discount, perUnit: horizonUnit) }
            if format == .cdnow, input.table != nil || input.config != nil || !input.roles.isEmpty {
                throw ScoringError.cdnowWithEventSettings
            }
        }

        /// The rejects file used when bad rows are skipped.
        public var resolvedRejectsPath: String { rejectsPath ?? ((out ?? input.events) + ".rejects.csv") }
    }

    /// A line for the user while the analysis runs.
    public enum Diagnostic: Sendable, Equatable {
        /// Progress (what was read, how fast): worth showing on a terminal only.
        case progress(String)
        /// A warning or note about the data (starting `warning:` or `note:`), or the bad rows skipped.
        case notice(String)
    }

    /// Runs the analysis: reads the purchases, summarises them per customer, fits the purchase and
    /// spend models, predicts per customer, checks the holdout and writes `out` and `saveModel`.
    ///
    /// Purchases of one customer on one UTC day are one transaction whose value is their sum. The
    /// Gamma-Gamma model is fitted to the repeat customers with a positive mean repeat value; it and
    /// CLV are left out (with a note) when no purchase has a value or its q ≤ 1. The model file
    /// (`saveModel`) holds the purchase model and the spend model when it values customers (q > 1).
    ///
    /// - Parameter diagnostics: Called with each progress line and notice as it arises (the
    ///   notices are also in the report's `warnings`).
    /// - Returns: The report (its `--json` form) with the fitted models and per-customer predictions.
    /// - Throws: `ScoringError` (settings; `.noEvents`, `.noPurchaseEvents`, `.calibrationBeforeFirstPurchase`), the
    ///   reader's `IngestError`, `NumericsError` from a fit, or `IOError` when `out` or the model
    ///   file cannot be written.
    /// - Complexity: O(events) to read, O(customers) per likelihood evaluation and prediction.
    public static func fit(_ options: Options, diagnostics: (Diagnostic) -> Void = { _ in }) throws -> Report {
        try options.validate()
        let started = seconds()
        let unit = options.timeUnit
        let calDay = Double(options.calibrationEnd)
        let holdDay = options.holdoutEnd.map(Double.init)
        var warnings: [String] = []
        func notice(_ line: String) { warnings.append(line); diagnostics(.notice(line)) }

        // 1. Purchases, one transaction per customer-day.
        var log: PurchaseLog
        var ingest: IngestSummary?
        switch options.format {
        case .cdnow:
            log = try CDNOW.read(path: options.input.events)
        case .eventLog:
            let config = try options.input.loadConfig()
            let reader = try options.input.reader(config, rejectsPath: options.resolvedRejectsPath)
            let (purchases, summary) = try PurchaseLog.read(reader, roles: config.roles)
            log = purchases
            ingest = summary
            if summary.badRowCount > 0 {
                let counts = summary.badRows.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", ")
                notice("skipped \(summary.badRowCount) bad rows (\(counts)); written to \(options.resolvedRejectsPath)")
            }
        }
        if let customers = try options.input.loadCustomers() {
            log = restrict(log, to: Set(customers.ids))
        }
        let readSeconds = seconds() - started
        diagnostics(.progress(String(format: "read %d purchase events of %d customers in %.2f s", log.purchaseCount, log.customerIDs.count, readSeconds)))
        try checkPurchases(log, source: options.input.events, calDay: calDay)
        if let holdDay, let days = log.eventDays, holdDay > days.upperBound {
            notice("warning: the holdout runs to \(day(options.holdoutEnd ?? 0)) but the log ends on \(formatDate(days.upperBound * 86_400)); actual holdout purchases are counted only to then.")
        }
        if log.missingValues > 0 && log.missingValues < log.purchaseCount {
            notice("note: \(log.missingValues) of \(log.purchaseCount) purchase events have no value; they add 0 to their day's value.")
        }

        // 2. RFM summary.
        let t1 = seconds()
        let summary = try RFMSummary(customers: log.customer.map { Int($0) }, times: log.day, values: log.value,
                                     calibrationEnd: calDay, observationEnd: holdDay, timeUnit: unit)
        let summarySeconds = seconds() - t1

        // 3. Fits.
        let t2 = seconds()
        let fitted = try FittedPurchase.fit(options.model, summary.data)
        let purchaseSeconds = seconds() - t2
        let t3 = seconds()
        var spend: FittedGammaGamma?
        var spendNote: String?
        if log.missingValues == log.purchaseCount {
            spendNote = "no purchase has a value, so the Gamma-Gamma spend model and CLV are left out (map the value column)."
        } else {
            var xs = [Double](), ms = [Double]()
            for i in 0..<summary.frequency.count where summary.frequency[i] > 0 && summary.monetaryValue[i] > 0 {
                xs.append(summary.frequency[i]); ms.append(summary.monetaryValue[i])
            }
            spend = try GammaGamma().fit(frequency: xs, monetaryValue: ms)
            let excluded = summary.frequency.filter { $0 > 0 }.count - xs.count
            if excluded > 0 {
                notice("note: \(excluded) repeat customers with a mean repeat value <= 0 are left out of the Gamma-Gamma fit.")
            }
            if let s = spend, s.params.q <= 1 {
                spendNote = String(format: "Gamma-Gamma q = %.4g <= 1 makes the expected spend infinite; CLV is left out. Check for extreme order values.", s.params.q)
            }
        }
        let spendSeconds = seconds() - t3
        let valued = spend.flatMap { $0.params.q > 1 ? $0 : nil }
        if let spendNote { notice("warning: " + spendNote) }

        // 4. Per-customer predictions.
        let t4 = seconds()
        let clv = CustomerLifetimeValue(periods: options.horizon, periodUnit: options.horizonUnit, discountRate: options.discount)
        let predictions = try Predictions(fitted.model, summary: summary, spend: valued, clv: clv)
        let predictSeconds = seconds() - t4

        let holdout = options.holdoutEnd.map {
            Holdout(summary: summary, predicted: predictions.holdoutPredicted, start: day(options.calibrationEnd + 1), end: day($0))
        }
        if let out = options.out {
            try AtomicFile.write(Data(predictionsCSV(summary, ids: log.customerIDs, predictions: predictions)), to: out, permissions: 0o600)
        }
        if let file = options.saveModel {
            try CLVModel(purchase: fitted.purchase, gammaGamma: valued?.params, timeUnit: unit, calibrationEnd: day(options.calibrationEnd),
                         customers: summary.customers.count, logLikelihood: fitted.logLikelihood,
                         createdAt: file.createdAt, toolVersion: file.toolVersion).write(to: file.path)
        }
        return Report(
            source: options.input.events, model: options.model.rawValue, modelName: options.model.title, timeUnit: unit.rawValue,
            calibrationEnd: day(options.calibrationEnd), holdoutEnd: options.holdoutEnd.map(day),
            params: fitted.params, standardErrors: fitted.standardErrors, logLikelihood: fitted.logLikelihood,
            iterations: fitted.diagnostics.iterations,
            customers: summary.customers.count, repeatCustomers: summary.frequency.filter { $0 > 0 }.count,
            purchaseEvents: log.purchaseCount, transactions: log.count, purchaseTypes: log.purchaseTypes,
            gammaGamma: spend.map(Spend.init),
            horizon: options.horizon, horizonUnit: options.horizonUnit.rawValue,
            horizonInTimeUnit: clv.periodEnds(in: unit).last ?? 0,
            discount: options.discount, discountUnit: options.horizonUnit.rawValue,
            totals: Totals(predictions, count: summary.customers.count),
            holdout: holdout, fitSeconds: purchaseSeconds + spendSeconds,
            seconds: Timings(read: readSeconds, summary: summarySeconds, fitPurchase: purchaseSeconds, fitSpend: spendSeconds,
                             predict: predictSeconds, total: seconds() - started),
            out: options.out, modelFile: options.saveModel?.path,
            ingest: ingest, spendNote: spendNote, warnings: warnings,
            summary: summary, customerIDs: log.customerIDs, purchaseModel: fitted, spendModel: valued, predictions: predictions)
    }

    // MARK: Steps

    /// Throws when there is nothing to model: no purchase events, or none by the calibration end.
    static func checkPurchases(_ log: PurchaseLog, source: String, calDay: Double) throws {
        guard log.count > 0 else {
            if log.eventCount == 0 { throw ScoringError.noEvents(source: source) }
            throw ScoringError.noPurchaseEvents(source: source, eventTypes: log.eventTypes)
        }
        let first = log.day.min() ?? 0
        guard calDay >= first else {
            throw ScoringError.calibrationBeforeFirstPurchase(calibrationEnd: formatDate(calDay * 86_400), firstPurchase: formatDate(first * 86_400))
        }
    }

    /// The log without the transactions of customers not in `ids` (the customers table).
    static func restrict(_ log: PurchaseLog, to ids: Set<String>) -> PurchaseLog {
        var r = log
        let keep = log.customerIDs.map { ids.contains($0) }
        let rows = (0..<log.count).filter { keep[Int(log.customer[$0])] }
        r.customer = rows.map { log.customer[$0] }
        r.day = rows.map { log.day[$0] }
        r.value = rows.map { log.value[$0] }
        return r
    }

    /// `YYYY-MM-DD` of a day number.
    static func day(_ d: Int) -> String { formatDate(Double(d) * 86_400) }

    /// Monotonic seconds since an arbitrary origin.
    static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
