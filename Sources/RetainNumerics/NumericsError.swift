import RetainCore
/// Errors thrown by the numerics module. Each message says what happened and what to do.
public enum NumericsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two operands whose shapes do not fit together.
    case dimensionMismatch(String)
    /// Fewer rows than an algorithm needs (e.g. k-means with more clusters than rows).
    case tooFewRows(rows: Int, needed: Int, context: String)
    /// A parameter outside its valid range.
    case invalidParameter(name: String, value: String, reason: String)
    /// A NaN or infinite value in the input.
    case nonFinite(row: Int, column: Int, context: String)
    /// Labels outside {0, 1}, or only one class present.
    case invalidLabels(String)
    /// The fit diverged: without a penalty the data are separable or the problem is singular.
    case diverged(String)
    /// Logistic regression without (enough) penalty on separable data: the coefficients grow
    /// without bound. `quasi` is true when a coefficient passed 1e8 before the fit stopped.
    case separable(quasi: Bool)
    /// A LAPACK routine returned a non-zero `info`.
    case lapack(routine: String, info: Int)

    /// The message for ``separable(quasi:)``, with `penalty` saying how to set a penalty (the
    /// command line names its option there).
    public static func separableMessage(quasi: Bool, penalty: String) -> String {
        (quasi ? "logistic regression diverged: a coefficient passed 1e8 (quasi-separable data). "
               : "the classes are perfectly separable: without a penalty the coefficients grow without bound. ")
            + "Fit with a penalty (\(penalty)), or remove the feature that separates the classes."
    }

    public var description: String {
        switch self {
        case .dimensionMismatch(let s):
            return "dimension mismatch: \(s)"
        case .tooFewRows(let rows, let needed, let context):
            return "\(context) needs at least \(needed) rows, got \(rows)."
        case .invalidParameter(let name, let value, let reason):
            return "invalid \(name) = \(value): \(reason)"
        case .nonFinite(let row, let column, let context):
            return "\(context): row \(row + 1), column \(column + 1) is NaN or infinite. Clean or impute the input first."
        case .invalidLabels(let s):
            return "invalid labels: \(s)"
        case .diverged(let s):
            return s
        case .separable(let quasi):
            return Self.separableMessage(quasi: quasi, penalty: "a finite C, e.g. 1.0")
        case .lapack(let routine, let info):
            return "LAPACK \(routine) failed with info = \(info)."
        }
    }
}
