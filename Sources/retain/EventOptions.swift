import ArgumentParser
import RetainIO
import RetainIngest

/// The data options every event-log command shares: where the events are, the customers table,
/// the config file, role mappings and what to do with bad rows.
struct EventOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Event log: CSV with a header (.csv or .csv.gz), or a SQLite database with --table.", valueName: "file"))
    var events: String?

    @Option(name: .long, help: ArgumentHelp("Table (or view) to read when --events is a SQLite database.", valueName: "name"))
    var table: String?

    @Option(name: .long, help: ArgumentHelp("Customers table: customer_id, signup_date and any attributes.", valueName: "file.csv"))
    var customers: String?

    @Option(name: .long, help: ArgumentHelp("Config file (YAML or JSON): column names, roles, windows, churn definition, custom features.", valueName: "file"))
    var config: String?

    @Option(name: .long, parsing: .singleValue,
            help: ArgumentHelp("Map an event type to a role, e.g. --role session=session_end (repeatable; wins over the config).", valueName: "role=type"))
    var role: [String] = []

    @Option(name: .long, help: ArgumentHelp("Bad rows: fail (stop with an error naming file, line and column) or skip (count them, write them to a rejects file).", valueName: "fail|skip"))
    var badRows: BadRowChoice = .fail

    enum BadRowChoice: String, ExpressibleByArgument, CaseIterable { case fail, skip }

    /// The event input, or nil when `--events` was not given.
    var input: EventInput? {
        events.map { EventInput(events: $0, table: table, customers: customers, config: config, roles: role,
                                badRows: badRows == .skip ? .skip : .fail) }
    }

    /// The event input; `--events` must have been given.
    func requiredInput() throws -> EventInput {
        guard let input else { throw ValidationError("--events is required: give the event log (CSV, .csv.gz, or SQLite with --table).") }
        return input
    }
}

/// Parses `YYYY-MM-DD` into Unix seconds at 00:00:00 UTC.
func parseDate(_ text: String, option: String) throws -> Double {
    let parts = text.split(separator: "-")
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
          let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
          (1...12).contains(m), d >= 1, d <= Timestamp.daysInMonth(year: y, month: m) else {
        throw ValidationError("\(option) '\(text)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28.")
    }
    return Double(Timestamp.daysFromCivil(year: y, month: m, day: d)) * 86_400
}
