import CLapack
import RetainCore

/// A dense, contiguous, row-major matrix of `Double`.
///
/// Element `(i, j)` lives at `values[i * columns + j]`. Products go to BLAS
/// (`dgemm`, `dsyrk`, `dgemv`); `rows(_:)` gives a view of a row block without copying.
public struct Matrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements, row-major (`rows * columns` of them).
    public var values: [Double]

    /// Creates a matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.values = [Double](repeating: value, count: rows * columns)
    }

    /// Creates a matrix from row-major values.
    ///
    /// - Throws: `NumericsError.dimensionMismatch` if `values.count != rows * columns`.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw NumericsError.dimensionMismatch("\(values.count) values for a \(rows) x \(columns) matrix")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Creates a matrix from an array of equally long rows.
    ///
    /// - Throws: `NumericsError.dimensionMismatch` on ragged rows.
    public init(_ rowArrays: [[Double]]) throws {
        let c = rowArrays.first?.count ?? 0
        var v = [Double]()
        v.reserveCapacity(rowArrays.count * c)
        for (i, r) in rowArrays.enumerated() {
            guard r.count == c else {
                throw NumericsError.dimensionMismatch("row \(i + 1) has \(r.count) values, expected \(c)")
            }
            v.append(contentsOf: r)
        }
        self.rows = rowArrays.count
        self.columns = c
        self.values = v
    }

    /// Element at row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    /// A copy of row `i`.
    public func row(_ i: Int) -> [Double] {
        Array(values[(i * columns)..<((i + 1) * columns)])
    }

    /// A copy of column `j`.
    public func column(_ j: Int) -> [Double] {
        (0..<rows).map { values[$0 * columns + j] }
    }

    /// The rows as arrays (for printing and JSON).
    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The transpose (a copy).
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { t.values[j * rows + i] = values[i * columns + j] } }
        return t
    }

    /// Calls `body` with a read-only view of rows `range`, without copying.
    public func withRows<R>(_ range: Range<Int>, _ body: (MatrixView) throws -> R) rethrows -> R {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        return try values.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress.map { $0 + range.lowerBound * columns }
            return try body(MatrixView(base: base, rows: range.count, columns: columns))
        }
    }

    /// Calls `body` with a view of the whole matrix, without copying.
    public func withView<R>(_ body: (MatrixView) throws -> R) rethrows -> R {
        try withRows(0..<rows, body)
    }

    /// The first `(row, column)` holding NaN or ±∞, if any.
    public func firstNonFinite() -> (row: Int, column: Int)? {
        for (k, v) in values.enumerated() where !v.isFinite { return (k / max(columns, 1), k % max(columns, 1)) }
        return nil
    }

    /// `op(A) · op(B)` with BLAS `dgemm`.
    ///
    /// - Throws: `NumericsError.dimensionMismatch` if the inner dimensions differ.
    /// - Complexity: O(m·n·k).
    public static func product(_ a: Matrix, transposeA: Bool = false, _ b: Matrix, transposeB: Bool = false) throws -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        guard k == kb else {
            throw NumericsError.dimensionMismatch("(\(m) x \(k)) times (\(kb) x \(n))")
        }
        var c = Matrix(rows: m, columns: n)
        if m == 0 || n == 0 { return c }
        if k == 0 { return c }
        a.withView { av in b.withView { bv in
            c.values.withUnsafeMutableBufferPointer { cb in
                BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                          alpha: 1, a: av.base!, lda: a.columns, b: bv.base!, ldb: b.columns,
                          beta: 0, c: cb.baseAddress!, ldc: n)
            }
        } }
        return c
    }

    /// `A · x` with BLAS `dgemv`.
    public func times(_ x: [Double]) throws -> [Double] {
        guard x.count == columns else {
            throw NumericsError.dimensionMismatch("(\(rows) x \(columns)) times a vector of \(x.count)")
        }
        var y = [Double](repeating: 0, count: rows)
        if rows == 0 || columns == 0 { return y }
        values.withUnsafeBufferPointer { a in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(columns), 1, a.baseAddress, Int32(columns),
                        xb.baseAddress, 1, 0, yb.baseAddress, 1)
        } } }
        return y
    }

    /// The Gram matrix `AᵀA` (symmetric, both triangles filled) with BLAS `dsyrk`.
    /// - Complexity: O(rows · columns²).
    public func gram() -> Matrix {
        var g = Matrix(rows: columns, columns: columns)
        if rows == 0 || columns == 0 { return g }
        withView { v in
            g.values.withUnsafeMutableBufferPointer { gb in
                BLAS.syrkUpperAtA(n: columns, k: rows, a: v.base!, lda: columns, c: gb.baseAddress!, ldc: columns, beta: 0)
            }
        }
        g.symmetrizeFromUpper()
        return g
    }

    /// Copies the upper triangle into the lower one.
    mutating func symmetrizeFromUpper() {
        let n = columns
        for i in 0..<n { for j in 0..<i { values[i * n + j] = values[j * n + i] } }
    }
}

/// A read-only, non-owning view of a row block of a `Matrix` (valid only inside `withRows`).
public struct MatrixView {
    /// Pointer to element (0, 0) of the block; nil only when the matrix is empty.
    public let base: UnsafePointer<Double>?
    /// Rows in the view.
    public let rows: Int
    /// Columns (also the row stride).
    public let columns: Int

    /// Element `(i, j)` of the view.
    @inlinable
    public subscript(i: Int, j: Int) -> Double { base![i * columns + j] }
}
