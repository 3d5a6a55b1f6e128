import CLapack
import RetainCore

/// Thin, typed wrappers over the CBLAS / LAPACKE calls the module uses (row-major throughout).
///
/// BLAS dimensions are `Int32`: no dimension may reach 2³¹ (checked by precondition).
enum BLAS {
    @inline(__always)
    static func i32(_ x: Int) -> Int32 {
        precondition(x >= 0 && x < Int(Int32.max), "BLAS dimension \(x) does not fit in Int32")
        return Int32(x)
    }

    /// C = alpha·op(A)·op(B) + beta·C (row-major).
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                     a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                     beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    i32(m), i32(n), i32(k), alpha, a, i32(lda), b, i32(ldb), beta, c, i32(ldc))
    }

    /// Upper triangle of C = AᵀA + beta·C, A is k × n row-major (C is n × n).
    static func syrkUpperAtA(n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                             c: UnsafeMutablePointer<Double>, ldc: Int, beta: Double) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, i32(n), i32(k), 1.0, a, i32(lda), beta, c, i32(ldc))
    }

    /// Number of threads OpenBLAS uses for its own calls.
    static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Runs `body` with OpenBLAS held at one thread (our own threads do the parallel work:
    /// OpenBLAS threads fighting ours cost 3–5×), restoring the previous count after.
    static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        let previous = threads
        if previous != 1 { threads = 1 }
        defer { if previous != 1 { threads = previous } }
        return try body()
    }

    /// Cholesky factorisation of the upper triangle of a symmetric n × n matrix in place.
    /// Returns LAPACK's `info` (0 on success, > 0 when not positive definite).
    static func potrf(_ a: inout [Double], n: Int) -> Int {
        let info = a.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), i32(n), p.baseAddress, i32(n))
        }
        return Int(info)
    }

    /// Solves A·x = b given the upper Cholesky factor from `potrf` (b overwritten by x).
    static func potrs(_ factor: [Double], n: Int, _ b: inout [Double]) -> Int {
        let info = factor.withUnsafeBufferPointer { f in b.withUnsafeMutableBufferPointer { bp in
            LAPACKE_dpotrs(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), i32(n), 1, f.baseAddress, i32(n), bp.baseAddress, 1)
        } }
        return Int(info)
    }

    /// Inverse of a symmetric positive-definite matrix from its upper Cholesky factor; fills both triangles.
    static func potri(_ factor: [Double], n: Int) -> (inverse: [Double], info: Int) {
        var a = factor
        let info = a.withUnsafeMutableBufferPointer { p in
            LAPACKE_dpotri(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "U")), i32(n), p.baseAddress, i32(n))
        }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        return (a, Int(info))
    }

    /// Symmetric eigen-decomposition (`dsyevd`): eigenvalues ascending, eigenvectors as columns (row-major n × n).
    static func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double], info: Int) {
        var v = a
        var w = [Double](repeating: 0, count: n)
        let info = v.withUnsafeMutableBufferPointer { p in w.withUnsafeMutableBufferPointer { wp in
            LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")), i32(n),
                           p.baseAddress, i32(n), wp.baseAddress)
        } }
        return (w, v, Int(info))
    }
}
