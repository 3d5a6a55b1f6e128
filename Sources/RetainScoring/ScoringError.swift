import Foundation

/// Why a scoring workflow cannot run with the inputs given.
public enum ScoringError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A scoring date that is not `YYYY-MM-DD`.
    case invalidDate(String)
    /// The id column asked for is not in the table's header.
    case missingIDColumn(file: String, column: String)

    public var description: String {
        switch self {
        case let .invalidDate(text):
            return "the scoring date '\(text)' is not a date: expected YYYY-MM-DD, e.g. 2025-10-28."
        case let .missingIDColumn(file, column):
            return "\(file): no id column '\(column)' in the header."
        }
    }
}

extension ScoringError: LocalizedError {
    public var errorDescription: String? { description }
}
