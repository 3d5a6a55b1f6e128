import ArgumentParser
import RetainStore

/// `retain history --db retain.sqlite --customer ID [--json]`: one customer's score trajectory.
struct HistoryCommand: AdvisedCommand {
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

    func execute() throws {
        if let importJSONL {
            let (records, days) = try ScoreHistory.importJSONL(path: importJSONL, into: db)
            return Console.info("Imported \(records) records for \(days) days into \(db).")
        }
        let history = try ScoreHistory(path: db, create: false)
        let trajectory = try history.trajectory(of: customer ?? "")
        if json { return try Console.printJSON(trajectory) }
        if trajectory.records.isEmpty {
            return Console.info("No scores for this customer in \(db) (\(try history.dates().count) scored days).")
        }
        print("date        probability  tier    segment               action")
        for r in trajectory.records {
            print("\(Console.pad(r.date, 10))  \((r.churnProbability.map { Console.num($0, width: 11, digits: 4) } ?? Console.pad("—", 11, right: true)))  \(Console.pad(r.riskTier, 6))  \(Console.pad(r.segment.isEmpty ? "—" : r.segment, 20))  \(r.action)")
        }
    }
}
