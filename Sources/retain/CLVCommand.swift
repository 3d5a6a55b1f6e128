import ArgumentParser
import Dispatch
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain clv --events FILE --calibration-end DATE …`: buy-till-you-die purchase model + Gamma-Gamma
/// spend model on the purchase events, per-customer expected purchases, P(alive) and CLV.
struct CLVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clv",
        abstract: "Fit customer-lifetime-value models (BG/NBD, MBG/NBD or Pareto/NBD + Gamma-Gamma) to purchase events.",
        discussion: reflow("""
            Purchases are the events whose type has the role `purchase` (a type named purchase, or
            map yours: --role purchase=order_paid). Several purchases by a customer on one UTC day
            count as one transaction whose value is their sum, as in the published analyses. Each
            customer with a purchase on or before --calibration-end is summarised as frequency x
            (repeat transactions), recency (first to last transaction) and T (first transaction to
            the calibration end), in --time-unit; monetary_value is the mean value of the repeat
            transactions. The purchase model and the Gamma-Gamma spend model (repeat customers
            with a positive mean value) are fitted by maximum likelihood.

            Per customer (--out, CSV): expected purchases over the horizon, P(alive) at the
            calibration end, the Gamma-Gamma expected value per transaction (expected_spend) and
            CLV = sum over k = 1..horizon of expected_spend x (expected purchases in period k) /
            (1 + discount)^k. The discount rate is per --horizon-unit (0.01 with months = 1% a
            month). With --holdout-end, purchases from the day after the calibration end to the
            holdout end are compared with the model's prediction, in total and by calibration
            frequency (0, 1, ..., 7+).

            The CDNOW files in datasets/cdnow are read directly with --cdnow, e.g. to reproduce the
            published BG/NBD fit (r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.43):

              retain clv --cdnow --events datasets/cdnow/CDNOW_sample.txt --calibration-end 1997-09-30 \\
                         --holdout-end 1998-06-30 --time-unit week

            With --cdnow, --events is CDNOW_master.txt (customer id, YYYYMMDD date, CDs, dollars) or
            CDNOW_sample.txt (master id, sample id, date, CDs, dollars; customers are the sample ids);
            every line is a purchase.
            """)
    )

    @OptionGroup var data: EventOptions

    @Flag(name: .long, help: "Read --events as a CDNOW text file (CDNOW_master.txt or CDNOW_sample.txt layout) instead of an event log.")
    var cdnow = false

    @Option(name: .long, help: ArgumentHelp("Last day of the calibration period (inclusive, UTC); the models are fitted to purchases up to it.", valueName: "YYYY-MM-DD"))
    var calibrationEnd: String

    @Option(name: .long, help: ArgumentHelp("Last day of a holdout period (inclusive) to compare predicted and actual purchases; after --calibration-end.", valueName: "YYYY-MM-DD"))
    var holdoutEnd: String?

    @Option(name: .long, help: ArgumentHelp("Unit of recency, T and the rate parameters (alpha, beta): day, week (the published analyses) or month (30.4375 days).", valueName: "day|week|month"))
    var timeUnit: UnitChoice = .week

    @Option(name: .long, help: ArgumentHelp("Purchase model: bgnbd (BG/NBD), mbgnbd (modified BG/NBD) or pareto (Pareto/NBD).", valueName: "bgnbd|mbgnbd|pareto"))
    var model: ModelChoice = .bgnbd

    @Option(name: .long, help: ArgumentHelp("CLV horizon: number of --horizon-unit periods (also the span of expected_purchases).", valueName: "n"))
    var horizon: Int = 12

    @Option(name: .long, help: ArgumentHelp("Length of one horizon period, the step of the discounting.", valueName: "day|week|month"))
    var horizonUnit: UnitChoice = .month

    @Option(name: .long, help: ArgumentHelp("Discount rate per --horizon-unit period (0.01 with months = 1% a month, about 12.7% a year).", valueName: "rate"))
    var discount: Double = 0.01

    @Option(name: .long, help: ArgumentHelp("Write one row per customer (customer_id, frequency, recency, T, monetary_value, expected_purchases, p_alive, expected_spend, clv; with a holdout also holdout_purchases, holdout_predicted) as CSV, atomically.", valueName: "file.csv"))
    var out: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

    enum UnitChoice: String, ExpressibleByArgument, CaseIterable {
        case day, week, month
        var unit: TimeUnit { TimeUnit(rawValue: rawValue)! }  // same raw values
    }

    enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
        case bgnbd, mbgnbd, pareto
        var title: String {
            switch self {
            case .bgnbd: return "BG/NBD"
            case .mbgnbd: return "MBG/NBD"
            case .pareto: return "Pareto/NBD"
            }
        }
    }

    func validate() throws {
        let cal = try parseDate(calibrationEnd, option: "--calibration-end")
        if let holdoutEnd {
            let hold = try parseDate(holdoutEnd, option: "--holdout-end")
            guard hold > cal else {
                throw ValidationError("--holdout-end \(holdoutEnd) must be after --calibration-end \(calibrationEnd): the holdout runs from the day after the calibration end to the holdout end.")
            }
        }
        guard horizon >= 1 else { throw ValidationError("--horizon must be at least 1 period, got \(horizon).") }
        guard discount > -1, discount.isFinite else {
            throw ValidationError("--discount is a rate per \(horizonUnit.rawValue) and must be > -1 (e.g. 0.01 for 1% a \(horizonUnit.rawValue)), got \(discount).")
        }
        if cdnow, data.table != nil || data.config != nil || !data.role.isEmpty {
            throw ValidationError("--cdnow reads a CDNOW text file, whose lines are all purchases; leave out --table, --config and --role.")
        }
    }

    func run() throws {
        let started = Console.seconds()
        let unit = timeUnit.unit
        let calDay = try parseDate(calibrationEnd, option: "--calibration-end") / 86_400
        let holdDay = try holdoutEnd.map { try parseDate($0, option: "--holdout-end") / 86_400 }

        // 1. Purchases, one transaction per customer-day.
        var log: PurchaseLog
        var badRows = 0
        if cdnow {
            log = try CDNOW.read(path: (data.events ?? ""))
        } else {
            let config = try data.requiredInput().loadConfig()
            let rejects = (out ?? (data.events ?? "")) + ".rejects.csv"
            let (l, ingest) = try PurchaseLog.read(try data.requiredInput().reader(config, rejectsPath: rejects), roles: config.roles)
            log = l
            badRows = ingest.badRowCount
            if badRows > 0 {
                let counts = ingest.badRows.sorted { $0.key < $1.key }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: ", ")
                Console.info("skipped \(badRows) bad rows (\(counts)); written to \(rejects)")
            }
        }
        if let customers = try data.requiredInput().loadCustomers() {
            log = Self.restrict(log, to: Set(customers.ids))
        }
        let readSeconds = Console.seconds() - started
        Console.progress(String(format: "read %d purchase events of %d customers in %.2f s", log.purchaseCount, log.customerIDs.count, readSeconds))
        try Self.checkPurchases(log, source: (data.events ?? ""), calibrationEnd: calibrationEnd, calDay: calDay)
        if let holdDay, let days = log.eventDays, holdDay > days.upperBound {
            Console.info("warning: the holdout runs to \(holdoutEnd ?? "") but the log ends on \(formatDate(days.upperBound * 86_400)); actual holdout purchases are counted only to then.")
        }
        if log.missingValues > 0 && log.missingValues < log.purchaseCount {
            Console.info("note: \(log.missingValues) of \(log.purchaseCount) purchase events have no value; they add 0 to their day's value.")
        }

        // 2. RFM summary.
        let t1 = Console.seconds()
        let summary = try RFMSummary(customers: log.customer.map { Int($0) }, times: log.day, values: log.value,
                                     calibrationEnd: calDay, observationEnd: holdDay, timeUnit: unit)
        let summarySeconds = Console.seconds() - t1

        // 3. Fits.
        let t2 = Console.seconds()
        let fitted = try FittedPurchase.fit(model, summary.data)
        let purchaseSeconds = Console.seconds() - t2
        let t3 = Console.seconds()
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
                Console.info("note: \(excluded) repeat customers with a mean repeat value <= 0 are left out of the Gamma-Gamma fit.")
            }
            if let s = spend, s.params.q <= 1 {
                spendNote = String(format: "Gamma-Gamma q = %.4g <= 1 makes the expected spend infinite; CLV is left out. Check for extreme order values.", s.params.q)
            }
        }
        let spendSeconds = Console.seconds() - t3
        let valued = spend.flatMap { $0.params.q > 1 ? $0 : nil }
        if let spendNote { Console.info("warning: " + spendNote) }

        // 4. Per-customer predictions.
        let t4 = Console.seconds()
        let clv = CustomerLifetimeValue(periods: horizon, periodUnit: horizonUnit.unit, discountRate: discount)
        let p = try Predictions(fitted.model, summary: summary, spend: valued, clv: clv)
        let predictSeconds = Console.seconds() - t4

        let holdout = holdDay.map { _ in HoldoutReport(summary: summary, predicted: p.holdoutPredicted,
                                                        start: formatDate((calDay + 1) * 86_400), end: holdoutEnd ?? "") }
        if let out {
            try AtomicFile.write(Self.csv(summary, ids: log.customerIDs, predictions: p), to: out)
        }
        let report = CLVReport(
            source: (data.events ?? ""), model: model.rawValue, modelName: model.title, timeUnit: unit.rawValue,
            calibrationEnd: calibrationEnd, holdoutEnd: holdoutEnd,
            params: fitted.params, standardErrors: fitted.standardErrors, logLikelihood: fitted.logLikelihood,
            iterations: fitted.diagnostics.iterations,
            customers: summary.customers.count, repeatCustomers: summary.frequency.filter { $0 > 0 }.count,
            purchaseEvents: log.purchaseCount, transactions: log.count, purchaseTypes: log.purchaseTypes,
            gammaGamma: spend.map(SpendReport.init),
            horizon: horizon, horizonUnit: horizonUnit.rawValue, horizonInTimeUnit: clv.periodEnds(in: unit).last ?? 0,
            discount: discount, discountUnit: horizonUnit.rawValue,
            totals: Totals(p, count: summary.customers.count),
            holdout: holdout, fitSeconds: purchaseSeconds + spendSeconds,
            seconds: Timings(read: readSeconds, summary: summarySeconds, fitPurchase: purchaseSeconds, fitSpend: spendSeconds,
                             predict: predictSeconds, total: Console.seconds() - started),
            out: out)
        if json {
            try Console.printJSON(report)
        } else {
            printReport(report, spendNote: spendNote)
        }
    }

    // MARK: Input checks

    /// Throws when there is nothing to model: no purchase events, or none by the calibration end.
    static func checkPurchases(_ log: PurchaseLog, source: String, calibrationEnd: String, calDay: Double) throws {
        guard log.count > 0 else {
            if log.eventCount == 0 { throw CLIError("\(source) has no events.") }
            let shown = log.eventTypes.prefix(10).joined(separator: ", ") + (log.eventTypes.count > 10 ? ", …" : "")
            throw CLIError("\(source) has no purchase events: none of its event types (\(shown)) has the role purchase. Map your purchase event type to it with --role purchase=EVENT_TYPE, or roles: {purchase: EVENT_TYPE} in the --config file.")
        }
        let first = log.day.min() ?? 0
        guard calDay >= first else {
            throw CLIError("--calibration-end \(calibrationEnd) is before the first purchase (\(formatDate(first * 86_400))): no customer has a purchase in the calibration period. Choose a later date.")
        }
    }

    /// The log without the transactions of customers not in `ids` (the --customers table).
    static func restrict(_ log: PurchaseLog, to ids: Set<String>) -> PurchaseLog {
        var r = log
        let keep = log.customerIDs.map { ids.contains($0) }
        let rows = (0..<log.count).filter { keep[Int(log.customer[$0])] }
        r.customer = rows.map { log.customer[$0] }
        r.day = rows.map { log.day[$0] }
        r.value = rows.map { log.value[$0] }
        return r
    }

    // MARK: Output

    static func csv(_ s: RFMSummary, ids: [String], predictions p: Predictions) -> Data {
        var out = [UInt8]()
        out.reserveCapacity(s.customers.count * 120)
        out.append(contentsOf: "customer_id,frequency,recency,T,monetary_value,expected_purchases,p_alive,expected_spend,clv".utf8)
        let holdout = !p.holdoutPredicted.isEmpty
        if holdout { out.append(contentsOf: ",holdout_purchases,holdout_predicted".utf8) }
        out.append(10)
        func num(_ v: Double) {
            out.append(44)
            guard v.isFinite else { return }
            if v == v.rounded(), abs(v) < 1e15 { out.append(contentsOf: String(Int(v)).utf8) } else { out.append(contentsOf: v.description.utf8) }
        }
        for i in 0..<s.customers.count {
            appendField(ids[s.customers[i]], to: &out)
            num(s.frequency[i]); num(s.recency[i]); num(s.age[i]); num(s.monetaryValue[i])
            num(p.expectedPurchases[i]); num(p.probabilityAlive[i]); num(p.expectedSpend[i]); num(p.clv[i])
            if holdout { num(s.frequencyHoldout[i]); num(p.holdoutPredicted[i]) }
            out.append(10)
        }
        return Data(out)
    }

    /// Appends a CSV field, quoted when it holds a comma, quote or line break.
    static func appendField(_ s: String, to out: inout [UInt8]) {
        let u = Array(s.utf8)
        guard u.contains(where: { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 }) else { out.append(contentsOf: u); return }
        out.append(34)
        for c in u { out.append(c); if c == 34 { out.append(34) } }
        out.append(34)
    }

    private func printReport(_ r: CLVReport, spendNote: String?) {
        func int(_ n: Int) -> String { NumberFormatter.localizedString(from: NSNumber(value: n), number: .decimal) }
        print("\(r.modelName) + Gamma-Gamma on \(r.source): \(int(r.customers)) customers (\(int(r.repeatCustomers)) with repeat purchases), calibration to \(r.calibrationEnd), times in \(r.timeUnit)s")
        print("Purchases: \(int(r.purchaseEvents)) events of type \(r.purchaseTypes.joined(separator: ", ")) -> \(int(r.transactions)) transactions (one per customer and day)")
        print("")
        let names = r.params.keys.sorted { FittedPurchase.order($0) < FittedPurchase.order($1) }
        print(Console.pad("\(r.modelName)", 16) + Console.pad("estimate", 14, right: true) + Console.pad("std err", 14, right: true))
        for k in names {
            print(Console.pad(k, 16) + Console.num(r.params[k], width: 14) + Console.num(r.standardErrors?[k], width: 14))
        }
        print(Console.pad("log-likelihood", 16) + Console.num(r.logLikelihood, width: 14, digits: 4)
              + String(format: "   (%d iterations, %.3f s; rates per %@)", r.iterations, r.seconds.fitPurchase, r.timeUnit))
        print("")
        if let g = r.gammaGamma {
            print(Console.pad("Gamma-Gamma", 16) + Console.pad("estimate", 14, right: true) + Console.pad("std err", 14, right: true)
                  + "   (\(int(g.customers)) repeat customers)")
            for k in ["p", "q", "gamma"] {
                print(Console.pad(k, 16) + Console.num(g.params[k], width: 14) + Console.num(g.standardErrors?[k], width: 14))
            }
            print(Console.pad("log-likelihood", 16) + Console.num(g.logLikelihood, width: 14, digits: 4))
            print("")
        }
        if let spendNote { print("Note: " + spendNote); print("") }
        let t = r.totals
        print(String(format: "Over %d %@%@ (%.4g %@s), discount %g per %@:", r.horizon, r.horizonUnit, r.horizon == 1 ? "" : "s",
                     r.horizonInTimeUnit, r.timeUnit, r.discount, r.discountUnit))
        print(String(format: "  expected purchases %.1f in total, %.4f per customer; mean P(alive) %.4f", t.expectedPurchases, t.expectedPurchases / Double(max(r.customers, 1)), t.meanProbabilityAlive))
        if let clv = t.clv { print(String(format: "  CLV %.2f in total, %.4f per customer", clv, t.meanCLV ?? .nan)) }
        if let h = r.holdout {
            print("")
            print(String(format: "Holdout %@ to %@ (%.4g %@s): actual vs predicted purchases by calibration frequency", h.start, h.end, h.length, r.timeUnit))
            print(Console.pad("frequency", 10) + Console.pad("customers", 11, right: true) + Console.pad("actual", 12, right: true)
                  + Console.pad("predicted", 12, right: true) + Console.pad("actual/cust", 13, right: true) + Console.pad("pred/cust", 12, right: true))
            for b in h.byFrequency + [HoldoutReport.Bucket(frequency: "total", customers: h.customers, actual: h.actual, predicted: h.predicted)] {
                print(Console.pad(b.frequency, 10) + Console.pad(int(b.customers), 11, right: true) + Console.num(b.actual, width: 12, digits: 1)
                      + Console.num(b.predicted, width: 12, digits: 1) + Console.num(b.actualMean, width: 13, digits: 3)
                      + Console.num(b.predictedMean, width: 12, digits: 3))
            }
        }
        if let out { print(""); print("Per-customer values written to \(out)") }
    }
}

// MARK: - Fitting and prediction

/// The fitted purchase model of any kind, with its parameters by name.
struct FittedPurchase {
    let model: any PurchaseModel
    let params: [String: Double]
    let standardErrors: [String: Double]?
    let logLikelihood: Double
    let diagnostics: FitDiagnostics

    static func fit(_ choice: CLVCommand.ModelChoice, _ data: RFMData) throws -> FittedPurchase {
        switch choice {
        case .bgnbd:
            let m = try BetaGeometricNBD().fit(data)
            return FittedPurchase(model: m, params: bg(m.params), standardErrors: m.standardErrors.map(bg),
                                  logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
        case .mbgnbd:
            let m = try ModifiedBetaGeometricNBD().fit(data)
            return FittedPurchase(model: m, params: bg(m.params), standardErrors: m.standardErrors.map(bg),
                                  logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
        case .pareto:
            let m = try ParetoNBD().fit(data)
            func named(_ p: FittedParetoNBD.Parameters) -> [String: Double] { ["r": p.r, "alpha": p.alpha, "s": p.s, "beta": p.beta] }
            return FittedPurchase(model: m, params: named(m.params), standardErrors: m.standardErrors.map(named),
                                  logLikelihood: m.logLikelihood, diagnostics: m.diagnostics)
        }
    }

    private static func bg(_ p: FittedBetaGeometricNBD.Parameters) -> [String: Double] {
        ["r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b]
    }

    /// Print order of parameter names.
    static func order(_ name: String) -> Int {
        ["r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma"].firstIndex(of: name) ?? 99
    }
}

/// Per-customer predictions, computed in parallel (each customer independently, so the result
/// does not depend on the thread count).
struct Predictions {
    var expectedPurchases: [Double]
    var probabilityAlive: [Double]
    var expectedSpend: [Double]
    var clv: [Double]
    var holdoutPredicted: [Double]

    init(_ model: any PurchaseModel, summary s: RFMSummary, spend: FittedGammaGamma?, clv: CustomerLifetimeValue) throws {
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

// MARK: - Report types (--json)

/// The `--json` output of `retain clv`.
struct CLVReport: Encodable {
    let source: String
    let model: String
    let modelName: String
    let timeUnit: String
    let calibrationEnd: String
    let holdoutEnd: String?
    let params: [String: Double]
    let standardErrors: [String: Double]?
    let logLikelihood: Double
    let iterations: Int
    let customers: Int
    let repeatCustomers: Int
    let purchaseEvents: Int
    let transactions: Int
    let purchaseTypes: [String]
    let gammaGamma: SpendReport?
    let horizon: Int
    let horizonUnit: String
    let horizonInTimeUnit: Double
    let discount: Double
    let discountUnit: String
    let totals: Totals
    let holdout: HoldoutReport?
    let fitSeconds: Double
    let seconds: Timings
    let out: String?

    enum CodingKeys: String, CodingKey {
        case source, model, params, iterations, customers, transactions, horizon, discount, totals, holdout, seconds, out
        case modelName = "model_name", timeUnit = "time_unit", calibrationEnd = "calibration_end", holdoutEnd = "holdout_end"
        case standardErrors = "standard_errors", logLikelihood = "log_likelihood", repeatCustomers = "repeat_customers"
        case purchaseEvents = "purchase_events", purchaseTypes = "purchase_types", gammaGamma = "gamma_gamma"
        case horizonUnit = "horizon_unit", horizonInTimeUnit = "horizon_in_time_unit", discountUnit = "discount_unit"
        case fitSeconds = "fit_seconds"
    }

    func encode(to encoder: Encoder) throws {
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
    }
}

/// The Gamma-Gamma part of the report.
struct SpendReport: Encodable {
    let params: [String: Double]
    let standardErrors: [String: Double]?
    let logLikelihood: Double
    let customers: Int
    let populationMeanValue: Double?

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

    func encode(to encoder: Encoder) throws {
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

/// Sums over the customers.
struct Totals: Encodable {
    let expectedPurchases: Double
    let meanProbabilityAlive: Double
    let clv: Double?
    let meanCLV: Double?

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

    func encode(to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: CodingKeys.self)
        try k.encode(expectedPurchases, forKey: .expectedPurchases)
        try k.encode(meanProbabilityAlive, forKey: .meanProbabilityAlive)
        try k.encode(clv, forKey: .clv)
        try k.encode(meanCLV, forKey: .meanCLV)
    }
}

/// Predicted vs actual purchases in the holdout period.
struct HoldoutReport: Encodable {
    struct Bucket: Encodable {
        let frequency: String
        let customers: Int
        let actual: Double
        let predicted: Double
        var actualMean: Double? { customers > 0 ? actual / Double(customers) : nil }
        var predictedMean: Double? { customers > 0 ? predicted / Double(customers) : nil }

        enum CodingKeys: String, CodingKey {
            case frequency, customers, actual, predicted
            case actualMean = "actual_mean", predictedMean = "predicted_mean"
        }

        func encode(to encoder: Encoder) throws {
            var k = encoder.container(keyedBy: CodingKeys.self)
            try k.encode(frequency, forKey: .frequency)
            try k.encode(customers, forKey: .customers)
            try k.encode(actual, forKey: .actual)
            try k.encode(predicted, forKey: .predicted)
            try k.encode(actualMean, forKey: .actualMean)
            try k.encode(predictedMean, forKey: .predictedMean)
        }
    }

    let start: String
    let end: String
    let length: Double
    let unit: String
    let customers: Int
    let actual: Double
    let predicted: Double
    let byFrequency: [Bucket]

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
struct Timings: Encodable {
    let read: Double
    let summary: Double
    let fitPurchase: Double
    let fitSpend: Double
    let predict: Double
    let total: Double

    enum CodingKeys: String, CodingKey {
        case read, summary, predict, total
        case fitPurchase = "fit_purchase", fitSpend = "fit_spend"
    }
}
