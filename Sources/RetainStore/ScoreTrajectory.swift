import Foundation
import RetainCore
import RetainIngest
import RetainScoring

/// One customer's daily scores from the score history; the `retain history --json` object when encoded.
public struct ScoreTrajectory: Sendable, Equatable, Encodable {
    public var customerID: String
    /// The customer's records, oldest day first.
    public var records: [ScoreRecord]

    public init(customerID: String, records: [ScoreRecord]) {
        self.customerID = customerID; self.records = records
    }

    struct Point: Encodable {
        let date: String, churnProbability: Double?, riskTier: String, segment: String, action: String
        let modelID: String, reasons: [String], lifecycle: String
        enum CodingKeys: String, CodingKey {
            case date, segment, action, reasons, lifecycle
            case churnProbability = "churn_probability", riskTier = "risk_tier", modelID = "model_id"
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(date, forKey: .date)
            try c.encode(churnProbability, forKey: .churnProbability)  // null outside the at-risk universe
            try c.encode(riskTier, forKey: .riskTier)
            try c.encode(lifecycle, forKey: .lifecycle)
            try c.encode(segment, forKey: .segment)
            try c.encode(action, forKey: .action)
            try c.encode(modelID, forKey: .modelID)
            try c.encode(reasons, forKey: .reasons)
        }
    }

    enum CodingKeys: String, CodingKey { case scores; case customerID = "customer_id" }

    /// `customer_id` and `scores`: date, churn_probability (null outside the at-risk universe), risk_tier,
    /// lifecycle (empty when not known), segment, action, model_id, reasons.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(customerID, forKey: .customerID)
        try c.encode(records.map {
            Point(date: $0.date, churnProbability: $0.churnProbability, riskTier: $0.riskTier, segment: $0.segment,
                  action: $0.action, modelID: $0.modelID, reasons: $0.reasons, lifecycle: $0.lifecycle)
        }, forKey: .scores)
    }
}

extension ScoreHistory {
    /// One customer's scores, oldest day first (empty when the customer was never scored).
    public func trajectory(of customer: String) throws -> ScoreTrajectory {
        ScoreTrajectory(customerID: customer, records: try trajectory(customer: customer))
    }

    /// Loads score records written as JSON lines (one `ScoreRecord` object a line, its Codable keys)
    /// into the history at `db` (created if missing), one write per date (replacing that date),
    /// dates in order: a test and migration path.
    ///
    /// - Returns: The records and days written.
    /// - Throws: `IngestError.cannotRead`, `StoreError.notARecord` naming the line, and the history's errors.
    public static func importJSONL(path: String, into db: String) throws -> (records: Int, days: Int) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw IngestError.cannotRead(file: path, reason: (error as NSError).localizedDescription)
        }
        var byDate: [String: [ScoreRecord]] = [:]
        let decoder = JSONDecoder()
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace) {
            do { let r = try decoder.decode(ScoreRecord.self, from: Data(line.utf8)); byDate[r.date, default: []].append(r) } catch {
                throw StoreError.notARecord(file: path, line: i + 1, reason: recordProblem(error))
            }
        }
        let history = try ScoreHistory(path: db)
        for (date, records) in byDate.sorted(by: { $0.key < $1.key }) {
            try history.write(records, date: date, modelID: records[0].modelID)
        }
        return (byDate.values.reduce(0) { $0 + $1.count }, byDate.count)
    }

    /// Which field of a JSON line is wrong, without the line's values (they hold customer ids).
    static func recordProblem(_ error: Error) -> String {
        func path(_ c: DecodingError.Context) -> String { c.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let key, _): return "field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "field '\(path(c))' has the wrong type"
        case DecodingError.dataCorrupted(let c) where !c.codingPath.isEmpty: return "field '\(path(c))' has a bad value"
        default: return "not a JSON object of the record's fields"
        }
    }
}
