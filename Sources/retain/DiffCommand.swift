import ArgumentParser
import RetainStore

/// `retain diff --db retain.sqlite --from DATE --to DATE [--margin 0.05] [--json]`.
struct DiffCommand: AdvisedCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Who entered or left each list between two scored days, and who moved between segments (with why).",
        discussion: reflow("""
            Lists: at-risk (flag at_risk, at-risk universe only), high-value (flag high_value), win-back
            (flag win_back), every action except none, every
            segment. A move is a segment change, shown with the customer's top reason on the --to day.
            With --margin m, a customer stays on the at-risk list until the probability falls below
            threshold - m (hysteresis), so lists do not flip-flop around the threshold; the threshold is
            --threshold or, by default, the lowest probability flagged at_risk on each day.
            """)
    )

    @Option(name: .long, help: ArgumentHelp("Score history (SQLite) written by `retain score --db`.", valueName: "file"))
    var db: String

    @Option(name: .long, help: ArgumentHelp("Earlier scored day (YYYY-MM-DD).", valueName: "date"))
    var from: String

    @Option(name: .long, help: ArgumentHelp("Later scored day (YYYY-MM-DD).", valueName: "date"))
    var to: String

    @Option(name: .long, help: ArgumentHelp("Hysteresis margin for the at-risk list, in probability (0 = none).", valueName: "m"))
    var margin: Double = 0

    @Option(name: .long, help: ArgumentHelp("At-risk probability threshold for --margin (default: inferred per day).", valueName: "p"))
    var threshold: Double?

    @Flag(name: .long, help: "Print one JSON object (every customer id) instead of a summary.")
    var json = false

    func validate() throws {
        guard margin >= 0 && margin < 1 else { throw ValidationError("--margin must be in [0, 1), got \(margin).") }
        if let threshold, !(threshold > 0 && threshold <= 1) {
            throw ValidationError("--threshold must be in (0, 1], got \(threshold).")
        }
    }

    func execute() throws {
        let history = try ScoreHistory(path: db, create: false)
        let diff = try history.diff(from: from, to: to, margin: margin, threshold: threshold)
        if json { return try Console.printJSON(diff) }
        print("\(diff.from) → \(diff.to)" + (diff.margin > 0 ? "  (at-risk hysteresis margin \(diff.margin))" : ""))
        print("list                      entered     left   stayed")
        for c in diff.lists {
            print("\(Console.pad(c.list, 24))  \(Console.pad(String(c.entered.count), 7, right: true))  \(Console.pad(String(c.left.count), 7, right: true))  \(Console.pad(String(c.stayed), 7, right: true))")
        }
        let moves = diff.moveCounts
        if !moves.isEmpty { print("\nsegment moves (top reason on \(diff.to))") }
        for m in moves {
            print("\(Console.pad(m.move, 36))  \(Console.pad(String(m.customers), 7, right: true))  \(m.topReason.isEmpty ? "" : "mostly: \(m.topReason)")")
        }
    }
}
