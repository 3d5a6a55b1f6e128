import Foundation
import RetainCore
import RetainIO

/// Reader of the CDNOW transaction files (datasets/cdnow), the standard data set of the
/// buy-till-you-die literature, so the published figures can be reproduced from the raw log.
///
/// Two whitespace-separated layouts, told apart by the number of fields on each line:
///
/// - `CDNOW_master.txt`: customer id, date (YYYYMMDD), number of CDs, dollar value — 4 fields;
///   an optional header line (`customer_id date number_of_cds dollar_value`);
/// - `CDNOW_sample.txt`: customer id in master, customer id in the sample, date, CDs, dollars —
///   5 fields; the customer is the **sample** id (1…2,357, the `ID` of the published summary).
///
/// Every line is one purchase at 00:00 UTC of its date, valued at its dollar amount.
public enum CDNOW {
    /// Reads a CDNOW file as a purchase log (one transaction per customer and day).
    ///
    /// - Parameter path: `CDNOW_master.txt` or `CDNOW_sample.txt` (or a file in either layout).
    /// - Returns: The purchases; customer ids as written (e.g. `0001`), event type `purchase`.
    /// - Throws: `IngestError.cannotRead`, `.empty`, `.fieldCount` (not 4 or 5 fields),
    ///   `.notANumber` (dollar value), `IngestError.badTimestamp` (date), each naming the line.
    /// - Complexity: O(file size).
    public static func read(path: String) throws -> PurchaseLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError.cannotRead(file: path, reason: "no such file or not readable")
        }
        var builder = PurchaseLog.Builder()
        var ids: [String] = []
        var index: [String: Int32] = [:]
        var lineNumber = 0
        var expected = 0
        var sawData = false
        // Bytes, not Characters: "\r\n" is one Character, and the files use it.
        let bytes = [UInt8](data)
        for line in bytes.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let fields = line.split(whereSeparator: { $0 == 32 || $0 == 9 || $0 == 13 }).map { String(decoding: $0, as: UTF8.self) }
            if fields.isEmpty { continue }
            if !sawData && lineNumber == 1 && Int(fields[0]) == nil { continue }  // header
            sawData = true
            if expected == 0 { expected = fields.count }
            guard fields.count == expected, expected == 4 || expected == 5 else {
                throw IngestError.fieldCount(file: path, line: lineNumber, found: fields.count, expected: expected == 5 ? 5 : 4)
            }
            let id = fields[expected == 5 ? 1 : 0]
            let dateText = fields[expected - 3]
            let valueText = fields[expected - 1]
            let day: Int
            switch parseDay(dateText) {
            case let .success(d): day = d
            case let .failure(problem):
                throw IngestError.badTimestamp(file: path, line: lineNumber, column: "date", cell: CellShape(dateText), problem: problem)
            }
            guard let value = Double(valueText) else {
                throw IngestError.notANumber(file: path, line: lineNumber, column: "dollar value", cell: CellShape(valueText))
            }
            guard value.isFinite else {
                throw IngestError.notFinite(file: path, line: lineNumber, column: "dollar value", cell: CellShape(valueText))
            }
            let c: Int32
            if let k = index[id] { c = k } else {
                c = Int32(ids.count)
                index[id] = c
                ids.append(id)
            }
            builder.addPurchase(customer: c, time: Double(day) * 86_400, value: value)
        }
        guard sawData else { throw IngestError.empty(file: path) }
        var log = builder.finish(customerIDs: ids, eventTypes: ["purchase"])
        log.purchaseTypes = ["purchase"]
        return log
    }

    /// Days since 1970-01-01 of a `YYYYMMDD` date.
    static func parseDay(_ text: String) -> Result<Int, TimestampProblem> {
        guard text.count == 8, let n = Int(text), n >= 0 else { return .failure(.format) }
        let y = n / 10_000, m = (n / 100) % 100, d = n % 100
        guard (1...12).contains(m) else { return .failure(.month(m)) }
        guard d >= 1, d <= Timestamp.daysInMonth(year: y, month: m) else { return .failure(.day(year: y, month: m, day: d)) }
        return .success(Timestamp.daysFromCivil(year: y, month: m, day: d))
    }
}
