import Foundation

/// Problems specific to event logs (the rest are ``FeaturesError``). Messages never contain
/// customer ids.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A timestamp (or signup date) that is not a date.
    case badTimestamp(file: String, line: Int, column: String, text: String, problem: TimestampProblem)
    /// A required cell (customer id, event type, timestamp) is empty.
    case emptyField(file: String, line: Int, column: String)
    /// A customer appears twice in customers.csv.
    case duplicateCustomer(file: String, line: Int, firstLine: Int)
    /// The rejects file could not be written.
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .badTimestamp(file, line, column, text, problem):
            let shown = text.count <= 40 ? text : String(text.prefix(40)) + "…"
            return "\(file) line \(line), column \(column): '\(shown)' is not a date (\(problem.explanation))."
        case let .emptyField(file, line, column):
            return "\(file) line \(line), column \(column): empty (every row needs one; skip bad rows to drop such rows)."
        case let .duplicateCustomer(file, line, firstLine):
            return "\(file) line \(line): the customer_id of line \(firstLine) appears again; keep one row per customer."
        case let .cannotWrite(file, reason):
            return "cannot write \(file): \(reason). Check that the directory exists and is writable."
        }
    }
}

extension EventLogError: LocalizedError {
    public var errorDescription: String? { description }
}
