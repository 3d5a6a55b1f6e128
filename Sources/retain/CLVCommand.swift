import ArgumentParser
import Foundation
import RetainNumerics
import RetainScoring

/// `retain clv --events FILE --calibration-end DATE …`: buy-till-you-die purchase model + Gamma-Gamma
/// spend model on the purchase events, per-customer expected purchases, P(alive) and CLV.
struct CLVCommand: AdvisedCommand {
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
    var timeUnit: TimeUnit = .week

    @Option(name: .long, help: ArgumentHelp("Purchase model: bgnbd (BG/NBD), mbgnbd (modified BG/NBD) or pareto (Pareto/NBD).", valueName: "bgnbd|mbgnbd|pareto"))
    var model: CLVAnalysis.Model = .bgnbd

    @Option(name: .long, help: ArgumentHelp("CLV horizon: number of --horizon-unit periods (also the span of expected_purchases).", valueName: "n"))
    var horizon: Int = 12

    @Option(name: .long, help: ArgumentHelp("Length of one horizon period, the step of the discounting.", valueName: "day|week|month"))
    var horizonUnit: TimeUnit = .month

    @Option(name: .long, help: ArgumentHelp("Discount rate per --horizon-unit period (0.01 with months = 1% a month, about 12.7% a year).", valueName: "rate"))
    var discount: Double = 0.01

    @Option(name: .long, help: ArgumentHelp("Write one row per customer (customer_id, frequency, recency, T, monetary_value, expected_purchases, p_alive, expected_spend, clv; with a holdout also holdout_purchases, holdout_predicted) as CSV, atomically.", valueName: "file.csv"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Write the fitted purchase model's parameters (and the Gamma-Gamma spend model's, when it values customers) with the time unit and calibration end as a clv model file, atomically; `retain models list` and `retain models show` read it.", valueName: "file.json"))
    var saveModel: String?

    @Flag(name: .long, help: "Print one JSON object on stdout instead of the readable report.")
    var json = false

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

    func execute() throws {
        var options = CLVAnalysis.Options(input: try data.requiredInput(), format: cdnow ? .cdnow : .eventLog,
                                          calibrationEnd: Int(try parseDate(calibrationEnd, option: "--calibration-end") / 86_400),
                                          holdoutEnd: try holdoutEnd.map { Int(try parseDate($0, option: "--holdout-end") / 86_400) })
        options.timeUnit = timeUnit; options.model = model; options.out = out
        options.horizon = horizon; options.horizonUnit = horizonUnit; options.discount = discount
        options.saveModel = saveModel.map { .init(path: $0, createdAt: Console.now(), toolVersion: RetainVersion.string) }
        let r = try CLVAnalysis.fit(options) {
            switch $0 { case .progress(let line): Console.progress(line); case .notice(let line): Console.info(line) }
        }
        if json { try Console.printJSON(r) } else { printReport(r) }
    }

    private func printReport(_ r: CLVAnalysis.Report) {
        func int(_ n: Int) -> String { NumberFormatter.localizedString(from: NSNumber(value: n), number: .decimal) }
        print("\(r.modelName) + Gamma-Gamma on \(r.source): \(int(r.customers)) customers (\(int(r.repeatCustomers)) with repeat purchases), calibration to \(r.calibrationEnd), times in \(r.timeUnit)s")
        print("Purchases: \(int(r.purchaseEvents)) events of type \(r.purchaseTypes.joined(separator: ", ")) -> \(int(r.transactions)) transactions (one per customer and day)")
        print("")
        let names = r.params.keys.sorted { CLVAnalysis.FittedPurchase.order($0) < CLVAnalysis.FittedPurchase.order($1) }
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
        if let spendNote = r.spendNote { print("Note: " + spendNote); print("") }
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
            for b in h.byFrequency + [h.total] {
                print(Console.pad(b.frequency, 10) + Console.pad(int(b.customers), 11, right: true) + Console.num(b.actual, width: 12, digits: 1)
                      + Console.num(b.predicted, width: 12, digits: 1) + Console.num(b.actualMean, width: 13, digits: 3)
                      + Console.num(b.predictedMean, width: 12, digits: 3))
            }
        }
        if let out { print(""); print("Per-customer values written to \(out)") }
        if let file = r.modelFile { if out == nil { print("") }; print("CLV model written to \(file)") }
    }
}

extension CLVAnalysis.Model: ExpressibleByArgument {}
extension TimeUnit: ExpressibleByArgument {}
