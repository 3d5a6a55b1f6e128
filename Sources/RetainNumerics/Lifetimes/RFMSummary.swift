import Foundation
import RetainCore

/// Recency-frequency-monetary summary of a transaction log, with an optional holdout period.
///
/// Transactions are (customer index, time, value) with time in **days** on any fixed origin
/// (e.g. days since 1970-01-01; a fractional part is the time of day). Purchases are grouped by
/// calendar day (⌊time⌋): several purchases on one day are one transaction whose value is their
/// sum. For each customer with a purchase on or before the calibration end day:
///
/// - frequency x = transaction days in calibration − 1 (repeat transactions),
/// - recency tₓ = last − first transaction day, age T = calibration end − first day,
/// - monetary value = mean value of the repeat transactions (the first excluded; 0 when x = 0),
/// - frequencyHoldout = transaction days in (calibration end, observation end],
/// - monetaryValueHoldout = mean value of those transaction days (0 when none),
/// - durationHoldout = observation end − calibration end,
///
/// with times converted from days to `timeUnit` (weeks: days / 7, as in the published CDNOW
/// summary). This equals lifetimes' `calibration_and_holdout_data(freq="D")` divided by the unit's
/// length in days, with one difference: lifetimes averages the holdout's raw transactions for
/// `monetary_value_holdout`, while here holdout values are per transaction day, like calibration.
/// Lifetimes with `freq="W"` instead counts whole calendar-week periods, which shifts recency and
/// age by up to a week; use days here and convert.
public struct RFMSummary: Sendable, Equatable {
    /// Customer indices with a calibration purchase, ascending; entry i of every column belongs to `customers[i]`.
    public let customers: [Int]
    /// Repeat transactions x in the calibration period.
    public let frequency: [Double]
    /// Time tₓ from the first to the last calibration transaction, in `timeUnit`.
    public let recency: [Double]
    /// Time T from the first transaction to the calibration end, in `timeUnit`.
    public let age: [Double]
    /// Mean value of the repeat calibration transactions (0 when x = 0).
    public let monetaryValue: [Double]
    /// Transaction days in the holdout period.
    public let frequencyHoldout: [Double]
    /// Mean value of the holdout transaction days (0 when none).
    public let monetaryValueHoldout: [Double]
    /// Length of the holdout period, in `timeUnit` (0 without a holdout).
    public let durationHoldout: Double
    /// Unit of recency, age and durationHoldout.
    public let timeUnit: TimeUnit

    /// Summarises a transaction log.
    ///
    /// - Parameters:
    ///   - customers: Customer index of each transaction (any integers).
    ///   - times: Time of each transaction in days on a fixed origin.
    ///   - values: Optional value of each transaction (monetary columns are 0 without it).
    ///   - calibrationEnd: Last day of the calibration period (inclusive), same origin as `times`.
    ///   - observationEnd: Last day of the holdout period (inclusive); default `calibrationEnd`
    ///     (no holdout). Later transactions are ignored.
    ///   - timeUnit: Unit of the output times. Default `.week`.
    /// - Throws: `NumericsError.dimensionMismatch`, `.nonFinite`, `.invalidParameter` when
    ///   `observationEnd < calibrationEnd`, `.tooFewRows` when no purchase falls in the calibration period.
    /// - Complexity: O(n log n) for n transactions.
    public init(customers: [Int], times: [Double], values: [Double]? = nil, calibrationEnd: Double,
                observationEnd: Double? = nil, timeUnit: TimeUnit = .week) throws {
        let n = customers.count
        guard times.count == n, values.map({ $0.count == n }) ?? true else {
            throw NumericsError.dimensionMismatch(
                "transactions: \(n) customer indices, \(times.count) times" + (values.map { ", \($0.count) values" } ?? "")
                    + ". Give one of each per transaction.")
        }
        let calEnd = calibrationEnd.rounded(.down)
        let obsEnd = (observationEnd ?? calibrationEnd).rounded(.down)
        guard calEnd.isFinite, obsEnd.isFinite else {
            throw NumericsError.invalidParameter(name: "calibrationEnd", value: "\(calibrationEnd)", reason: "must be a finite day number.")
        }
        guard obsEnd >= calEnd else {
            throw NumericsError.invalidParameter(
                name: "observationEnd", value: "\(obsEnd)",
                reason: "the holdout must end on or after the calibration end (\(calEnd)).")
        }
        for i in 0..<n where !times[i].isFinite {
            throw NumericsError.nonFinite(row: i, column: 1, context: "transactions (columns: customer, time, value)")
        }
        if let v = values { for i in 0..<n where !v[i].isFinite {
            throw NumericsError.nonFinite(row: i, column: 2, context: "transactions (columns: customer, time, value)")
        } }
        // Keep transactions up to the observation end, ordered by (customer, day).
        let day = times.map { $0.rounded(.down) }
        var order = (0..<n).filter { day[$0] <= obsEnd }
        order.sort { customers[$0] != customers[$1] ? customers[$0] < customers[$1] : day[$0] < day[$1] }

        var ids = [Int](), xs = [Double](), txs = [Double](), ts = [Double](), ms = [Double]()
        var xh = [Double](), mh = [Double]()
        let unitDays = timeUnit.days
        var i = 0
        while i < order.count {
            let c = customers[order[i]]
            var j = i
            while j < order.count && customers[order[j]] == c { j += 1 }
            // Days of this customer in order[i..<j], grouped.
            var first = Double.nan, last = 0.0, calDays = 0, repeatSum = 0.0
            var holdDays = 0, holdSum = 0.0
            var k = i
            while k < j {
                let d = day[order[k]]
                var daySum = 0.0
                while k < j && day[order[k]] == d { daySum += values?[order[k]] ?? 0; k += 1 }
                if d <= calEnd {
                    if calDays == 0 { first = d } else { repeatSum += daySum }
                    last = d
                    calDays += 1
                } else {
                    holdDays += 1
                    holdSum += daySum
                }
            }
            if calDays > 0 {
                ids.append(c)
                xs.append(Double(calDays - 1))
                txs.append((last - first) / unitDays)
                ts.append((calEnd - first) / unitDays)
                ms.append(calDays > 1 ? repeatSum / Double(calDays - 1) : 0)
                xh.append(Double(holdDays))
                mh.append(holdDays > 0 ? holdSum / Double(holdDays) : 0)
            }
            i = j
        }
        guard !ids.isEmpty else {
            throw NumericsError.tooFewRows(rows: 0, needed: 1,
                context: "An RFM summary (customers with a purchase on or before the calibration end)")
        }
        self.customers = ids
        self.frequency = xs
        self.recency = txs
        self.age = ts
        self.monetaryValue = ms
        self.frequencyHoldout = xh
        self.monetaryValueHoldout = mh
        self.durationHoldout = (obsEnd - calEnd) / unitDays
        self.timeUnit = timeUnit
    }

    /// The calibration columns as model input (one row per customer, weight 1).
    public var data: RFMData {
        RFMData(unchecked: frequency, recency, age, [Double](repeating: 1, count: frequency.count), timeUnit)
    }
}
