import Foundation
import RetainCore
import RetainIO

/// Why an event log, customers table, feature table or config could not be read.
///
/// Lines are 1-based and count physical lines of the file (the header is line 1). Messages name
/// the file, line, column and offending cell text, but never the value of the id column.
public enum IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read; `reason` is the system's explanation.
    case cannotRead(file: String, reason: String)
    /// No header line, or a header and no data rows.
    case empty(file: String)
    /// A requested column (id, label, feature) is not in the header.
    case missingColumn(file: String, column: String, available: [String])
    /// A column that would be kept is named twice (in the header, or in the requested list).
    case duplicateColumn(file: String, column: String)
    /// The id column was also requested as a numeric feature.
    case idColumnSelected(file: String, column: String)
    /// A row has a different number of fields than the header.
    case fieldCount(file: String, line: Int, found: Int, expected: Int)
    /// A numeric cell is not a decimal number.
    case notANumber(file: String, line: Int, column: String, text: String)
    /// A numeric cell is `nan`, `inf`, or a decimal outside the range of `Double`.
    case notFinite(file: String, line: Int, column: String, text: String)
    /// A numeric cell is empty and missing values were not allowed.
    case emptyCell(file: String, line: Int, column: String)
    /// A double quote is unbalanced, or appears inside an unquoted field, or text follows a closing quote.
    case badQuotes(file: String, line: Int, column: String)
    /// A configuration problem (config file, `--role`, windows, churn definition); the text says what to fix.
    case config(String)
    /// The log has no event (and no signup) before the as-of date.
    case noEventsBefore(file: String, date: String)

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
        case let .cannotRead(file, reason):
            return "cannot read \(file): \(reason)."
        case let .empty(file):
            return "\(file) is empty: expected a header line and at least one row."
        case let .missingColumn(file, column, available):
            return "\(file): no column '\(column)' in the header (columns: \(Self.list(available)))."
        case let .duplicateColumn(file, column):
            return "\(file): column '\(column)' is named twice; rename one of them."
        case let .idColumnSelected(file, column):
            return "\(file): column '\(column)' is the id column; it cannot also be a numeric feature."
        case let .fieldCount(file, line, found, expected):
            return "\(file) line \(line): \(found) field\(found == 1 ? "" : "s"), the header has \(expected)."
        case let .notANumber(file, line, column, text):
            return "\(file) line \(line), column \(column): '\(Self.clip(text))' is not a number."
        case let .notFinite(file, line, column, text):
            return "\(file) line \(line), column \(column): '\(Self.clip(text))' is not a finite number."
        case let .emptyCell(file, line, column):
            return "\(file) line \(line), column \(column): empty cell (fill it, or drop the column)."
        case let .config(message):
            return message
        case let .noEventsBefore(file, date):
            return "\(file) has no events before \(date): nothing to build features from. Check --as-of (features use only events before it)."
        case let .badTimestamp(file, line, column, text, problem):
            let shown = text.count <= 40 ? text : String(text.prefix(40)) + "…"
            return "\(file) line \(line), column \(column): '\(shown)' is not a date (\(problem.explanation))."
        case let .emptyField(file, line, column):
            return "\(file) line \(line), column \(column): empty (every row needs one; skip bad rows to drop such rows)."
        case let .duplicateCustomer(file, line, firstLine):
            return "\(file) line \(line): the customer_id of line \(firstLine) appears again; keep one row per customer."
        case let .cannotWrite(file, reason):
            return "cannot write \(file): \(reason). Check that the directory exists and is writable."
        case let .badQuotes(file, line, column):
            return "\(file) line \(line), column \(column): misplaced or unbalanced double quote "
                + "(quote the whole field and double any quote inside it)."
        }
    }

    /// At most 20 names, then a count of the rest.
    private static func list(_ names: [String]) -> String {
        if names.count <= 20 { return names.joined(separator: ", ") }
        return names.prefix(20).joined(separator: ", ") + ", … (\(names.count - 20) more)"
    }

    /// Cell text cut to 40 characters.
    private static func clip(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "…"
    }
}

extension IngestError: LocalizedError {
    public var errorDescription: String? { description }
}
