import ArgumentParser
import RetainCore
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

/// Parses `YYYY-MM-DD` into Unix seconds at 00:00:00 UTC; a usage error names the option.
func parseDate(_ text: String, option: String) throws -> Double {
    guard let day = try? Day(parsing: text) else {
        throw ValidationError("\(option) '\(text)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28.")
    }
    return day.unixSeconds
}
