import Foundation
import RetainCore
import RetainIO

/// Why an event log, customers table, feature table or config could not be read.
///
/// Lines are 1-based and count physical lines of the file (the header is line 1). Messages name
/// the file, line and column and say what was expected; they describe a bad cell (its length and
/// kind, as `CellShape`) but never quote it, so no email address or customer id reaches a log even
/// when columns are misaligned. A header that looks like a data row is described, not listed.
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
    /// A numeric cell is not a decimal number; `cell` describes it.
    case notANumber(file: String, line: Int, column: String, cell: CellShape)
    /// A numeric cell is `nan`, `inf`, or a decimal outside the range of `Double`; `cell` describes it.
    case notFinite(file: String, line: Int, column: String, cell: CellShape)
    /// A numeric cell is empty and missing values were not allowed.
    case emptyCell(file: String, line: Int, column: String)
    /// A double quote is unbalanced, or appears inside an unquoted field, or text follows a closing quote.
    case badQuotes(file: String, line: Int, column: String)
    /// One column of the file is mapped to two event fields.
    case columnMappedTwice(file: String)
    /// The config's column mapping names a field that does not exist.
    case unknownColumnKey(key: String)
    /// A role name that `retain` does not know, from the config file or from a role assignment
    /// (`assignment` is the `ROLE=EVENT_TYPE` text, nil for the config file).
    case unknownRole(name: String, assignment: String?)
    /// A role assignment that is not `ROLE=EVENT_TYPE`.
    case badRoleAssignment(String)
    /// Feature windows outside 1…3650 days, or none.
    case invalidWindows([Int])
    /// A churn horizon below one day.
    case invalidHorizon(days: Int)
    /// A custom feature in the config that cannot be computed.
    case invalidCustomFeature(name: String, problem: CustomFeatureProblem)
    /// The config's `lifecycle` section has a bad value or an unknown key.
    case invalidLifecycle(LifecycleConfigProblem)
    /// The config file is not valid YAML/JSON for a config; `location` is the key path when known.
    case badConfigFile(path: String, location: String?, reason: String)
    /// The config file is too large or nested too deep to be a config (checked before parsing).
    case configBeyondLimit(path: String, problem: TextLimitProblem)
    /// The log has no event (and no signup) before the as-of date.
    case noEventsBefore(file: String, date: String)

    /// A timestamp (or signup date) that is not a date; `cell` describes it.
    case badTimestamp(file: String, line: Int, column: String, cell: CellShape, problem: TimestampProblem)
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
            return "\(file): no column '\(column)' in the header (\(CellShape.headerList(available)))."
        case let .duplicateColumn(file, column):
            if CellShape(column).looksLikeData {
                return "\(file): two columns of the header have the same name, and the name \(CellShape(column).clause()): "
                    + "is the first line a data row? Add a header line."
            }
            return "\(file): column '\(column)' is named twice; rename one of them."
        case let .idColumnSelected(file, column):
            return "\(file): column '\(column)' is the id column; it cannot also be a numeric feature."
        case let .fieldCount(file, line, found, expected):
            return "\(file) line \(line): \(found) field\(found == 1 ? "" : "s"), the header has \(expected)."
        case let .notANumber(file, line, column, cell):
            return "\(file) line \(line), column \(column): not a number; the cell \(cell.clause(expecting: .number))."
        case let .notFinite(file, line, column, cell):
            return "\(file) line \(line), column \(column): not a finite number; the cell \(cell.clause(expecting: .number))."
        case let .emptyCell(file, line, column):
            return "\(file) line \(line), column \(column): empty cell (fill it, or drop the column)."
        case let .columnMappedTwice(file):
            return "column mapping: one column of \(file) is mapped to two event fields; give each field its own column."
        case let .unknownColumnKey(key):
            return "config columns: unknown key '\(key)' (expected customer_id, timestamp, event_type, value, ref)."
        case let .unknownRole(name, assignment):
            let source = assignment.map { "role assignment \($0)" } ?? "config roles"
            return "\(source): unknown role '\(name)'. Roles: \(Role.names)."
        case let .badRoleAssignment(text):
            return "role assignment \(text): expected ROLE=EVENT_TYPE, e.g. session=session_end."
        case let .invalidWindows(windows):
            return "windows must be whole days between 1 and 3650, got \(windows)."
        case let .invalidHorizon(days):
            return "churn horizon_days must be at least 1, got \(days)."
        case let .invalidCustomFeature(name, problem):
            return problem.message(name)
        case let .invalidLifecycle(problem):
            return problem.message
        case let .configBeyondLimit(path, problem):
            return problem.message(path: path, what: "a config file")
        case let .badConfigFile(path, location, reason):
            return "\(path)\(location.map { ", at '\($0)'" } ?? ""): \(reason)"
        case let .noEventsBefore(file, date):
            return "\(file) has no events before \(date): nothing to build features from. Check the as-of date (features use only events before it)."
        case let .badTimestamp(file, line, column, cell, problem):
            return "\(file) line \(line), column \(column): not a date (\(problem.explanation)); the cell \(cell.clause(expecting: .date))."
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

}

/// Why a custom feature in the config cannot be computed.
public enum CustomFeatureProblem: Sendable, Equatable {
    /// The name is empty or used twice.
    case nameNotUnique
    /// A ratio needs exactly two feature names and no aggregate.
    case ratioShape
    /// Neither an aggregate nor a ratio is given.
    case missingAggregate
    /// Both or neither of `event_type` and `role` are given.
    case eventTypeOrRole
    /// `window_days` is below 1.
    case windowTooShort

    func message(_ name: String) -> String {
        switch self {
        case .nameNotUnique: return "custom feature names must be non-empty and unique ('\(name)')."
        case .ratioShape: return "custom feature '\(name)': ratio needs exactly two feature names and no aggregate."
        case .missingAggregate:
            return "custom feature '\(name)': give an aggregate (\(CustomFeature.Aggregate.allCases.map(\.rawValue).joined(separator: ", "))) or a ratio."
        case .eventTypeOrRole: return "custom feature '\(name)': give exactly one of event_type or role."
        case .windowTooShort: return "custom feature '\(name)': window_days must be at least 1."
        }
    }
}

extension IngestError: LocalizedError {
    public var errorDescription: String? { description }
}
