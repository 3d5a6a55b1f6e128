import RetainCore
/// Errors from the sample-data generator.
public enum SampleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The number of customers is outside 1…10,000,000.
    case customersOutOfRange(Int)
    /// The number of days is outside 7…20,000.
    case daysOutOfRange(Int)
    /// The start is not a `YYYY-MM-DD` date, or the window leaves the years 1000–9999.
    case invalidStart(String)
    /// The churn share is outside 0…0.9.
    case churnShareOutOfRange(Double)
    /// A file could not be written.
    case writeFailed(path: String, reason: String)
    /// The output directory could not be created.
    case cannotCreateDirectory(path: String, reason: String)

    public var description: String {
        switch self {
        case .customersOutOfRange(let customers):
            return "customers must be between 1 and 10,000,000, got \(customers)."
        case .daysOutOfRange(let days):
            return "days must be between 7 and 20,000, got \(days)."
        case .invalidStart(let start):
            return "start '\(start)' is not a date YYYY-MM-DD (years 1000-9999), e.g. 2025-01-01."
        case .churnShareOutOfRange(let share):
            return "churn share must be between 0 and 0.9, got \(share)."
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason). Check that the directory exists and is writable."
        case .cannotCreateDirectory(let path, let reason):
            return "could not create the output directory \(path): \(reason)"
        }
    }
}
