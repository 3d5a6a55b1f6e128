import Foundation
import RetainCore

/// How one column is transformed: optional `log1p`, then `(v − mean) / scale`.
public struct ColumnScaling: Sendable, Equatable, Codable {
    /// Apply `log(1 + v)` first (for fat-tailed, non-negative counts and amounts).
    public var log1p: Bool
    /// Mean of the (log1p-transformed) training column.
    public var mean: Double
    /// Population standard deviation (ddof 0) of the training column; 1 for constant columns.
    public var scale: Double

    /// Creates a column transform.
    public init(log1p: Bool = false, mean: Double = 0, scale: Double = 1) {
        self.log1p = log1p
        self.mean = mean
        self.scale = scale
    }

    /// Transforms one value.
    @inlinable
    public func apply(_ v: Double) -> Double {
        ((log1p ? Foundation.log1p(v) : v) - mean) / scale
    }

    /// Maps a transformed value back to original units.
    @inlinable
    public func invert(_ t: Double) -> Double {
        let u = t * scale + mean
        return log1p ? expm1(u) : u
    }
}

/// Fits per-column transforms on training data: log1p where asked, then standardisation
/// (as scikit-learn's `StandardScaler`: population standard deviation, scale 1 for a constant column).
public struct Scaler: Sendable {
    /// Columns to log1p-transform before standardising.
    public var log1pColumns: Set<Int>
    /// Whether to centre and scale (false: only the log1p transforms).
    public var standardize: Bool

    /// Creates the settings.
    public init(log1pColumns: Set<Int> = [], standardize: Bool = true) {
        self.log1pColumns = log1pColumns
        self.standardize = standardize
    }

    /// Learns each column's parameters from `x`.
    ///
    /// - Throws: `NumericsError.nonFinite` for NaN/∞, `.invalidParameter` for a log1p column with a value ≤ −1.
    /// - Complexity: O(rows · columns).
    public func fit(_ x: Matrix) throws -> FittedScaler {
        if let (r, c) = x.firstNonFinite() { throw NumericsError.nonFinite(row: r, column: c, context: "scaling input") }
        var columns = [ColumnScaling]()
        for j in 0..<x.columns {
            let lg = log1pColumns.contains(j)
            var col = x.column(j)
            if lg {
                if let i = col.firstIndex(where: { $0 <= -1 }) {
                    throw NumericsError.invalidParameter(name: "log1p column \(j + 1)", value: "\(col[i])", reason: "row \(i + 1): log1p needs values > -1")
                }
                col = col.map { Foundation.log1p($0) }
            }
            guard standardize, !col.isEmpty else { columns.append(ColumnScaling(log1p: lg)); continue }
            let mean = col.reduce(0, +) / Double(col.count)
            let variance = col.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(col.count)
            let sd = variance.squareRoot()
            // StandardScaler treats a (near-)constant column as scale 1.
            let scale = sd <= 10 * Double.ulpOfOne * max(abs(mean), 1) ? 1 : sd
            columns.append(ColumnScaling(log1p: lg, mean: mean, scale: scale))
        }
        return FittedScaler(columns: columns)
    }
}

/// Learned per-column transforms, applied unchanged to new data.
public struct FittedScaler: Sendable, Equatable, Codable {
    /// One transform per column.
    public var columns: [ColumnScaling]

    /// Creates a scaler from stored parameters.
    public init(columns: [ColumnScaling]) { self.columns = columns }

    /// Transforms the rows of `x`.
    /// - Throws: `NumericsError.dimensionMismatch` if the column count differs.
    public func transform(_ x: Matrix) throws -> Matrix {
        guard x.columns == columns.count else {
            throw NumericsError.dimensionMismatch("scaler fitted on \(columns.count) columns, data has \(x.columns)")
        }
        var out = x
        let p = x.columns
        out.values.withUnsafeMutableBufferPointer { v in
            for i in 0..<x.rows { for j in 0..<p { v[i * p + j] = columns[j].apply(v[i * p + j]) } }
        }
        return out
    }

    /// Maps transformed rows back to original units.
    public func inverseTransform(_ t: Matrix) throws -> Matrix {
        guard t.columns == columns.count else {
            throw NumericsError.dimensionMismatch("scaler fitted on \(columns.count) columns, data has \(t.columns)")
        }
        var out = t
        let p = t.columns
        for i in 0..<t.rows { for j in 0..<p { out.values[i * p + j] = columns[j].invert(t.values[i * p + j]) } }
        return out
    }
}
