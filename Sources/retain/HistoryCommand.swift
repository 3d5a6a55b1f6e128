import ArgumentParser
import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics
import RetainScoring
import RetainStore

/// `retain history --db retain.sqlite --customer ID [--json]`: one customer's score trajectory.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show one customer's daily scores from the score history: date, probability, tier, segment, action.",
        discussion: reflow("""
            The history is the SQLite file `retain score --db` writes (one row per customer per scored day).
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Score history (SQLite) written by `retain score --db`.", valueName: "file"))
    var db: String

    @Option(name: .long, help: ArgumentHelp("Customer id whose trajectory to show.", valueName: "id"))
    var customer: String?

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    /// Test and migration path: load score records (one JSON object per line, ScoreRecord's keys) into --db.
    @Option(name: .customLong("import-jsonl"), help: .hidden)
    var importJSONL: String?

    func validate() throws {
        if customer == nil && importJSONL == nil { throw ValidationError("--customer is required.") }
    }

    func run() throws {
        if let importJSONL { return try importRecords(importJSONL) }
        let history = try ScoreHistory(path: db, create: false)
        let records = try history.trajectory(customer: customer ?? "")
        if json {
            struct Point: Encodable {
                let date: String, churnProbability: Double, riskTier: String, segment: String, action: String
                let modelID: String, reasons: [String]
                enum CodingKeys: String, CodingKey {
                    case date, segment, action, reasons
                    case churnProbability = "churn_probability", riskTier = "risk_tier", modelID = "model_id"
                }
            }
            struct Output: Encodable { let customerID: String; let scores: [Point]
                enum CodingKeys: String, CodingKey { case scores; case customerID = "customer_id" } }
            try Console.printJSON(Output(customerID: customer ?? "", scores: records.map {
                Point(date: $0.date, churnProbability: $0.churnProbability, riskTier: $0.riskTier, segment: $0.segment,
                      action: $0.action, modelID: $0.modelID, reasons: $0.reasons)
            }))
            return
        }
        if records.isEmpty {
            Console.info("No scores for this customer in \(db) (\(try history.dates().count) scored days).")
            return
        }
        print("date        probability  tier    segment               action")
        for r in records {
            print("\(Console.pad(r.date, 10))  \(Console.num(r.churnProbability, width: 11, digits: 4))  \(Console.pad(r.riskTier, 6))  \(Console.pad(r.segment.isEmpty ? "—" : r.segment, 20))  \(r.action)")
        }
    }

    private func importRecords(_ path: String) throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CLIError("cannot read \(path): \((error as NSError).localizedDescription).")
        }
        var byDate: [String: [ScoreRecord]] = [:]
        let decoder = JSONDecoder()
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where !line.allSatisfy(\.isWhitespace) {
            do { let r = try decoder.decode(ScoreRecord.self, from: Data(line.utf8)); byDate[r.date, default: []].append(r) } catch {
                throw CLIError("\(path) line \(i + 1): not a score record (\(error)).")
            }
        }
        let history = try ScoreHistory(path: db)
        for (date, records) in byDate.sorted(by: { $0.key < $1.key }) {
            try history.write(records, date: date, modelID: records[0].modelID)
        }
        Console.info("Imported \(byDate.values.reduce(0) { $0 + $1.count }) records for \(byDate.count) days into \(db).")
    }
}
