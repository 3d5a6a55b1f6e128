import CLapack
import Foundation
import RetainCore

/// Settings for an L2-penalised logistic regression fitted by Newton's method (IRLS).
///
/// The objective is scikit-learn's: the (sample-weighted) summed log-loss plus
/// `½‖w‖² / C`, with the intercept unpenalised:
///
///     J(w, b) = Σᵢ sᵢ · [log(1 + e^{zᵢ}) − yᵢ zᵢ] + ‖w‖² / (2C),   zᵢ = xᵢ·w + b
///
/// so `fit` reaches the same optimum as `LogisticRegression(C=c, solver="newton-cholesky")`.
///
/// Each Newton step makes one pass over the rows in cache-sized chunks, computing the loss,
/// the gradient and the Hessian `XᵀWX` (BLAS `dsyrk` per chunk) together, on all cores; the
/// step solves `H·d = −g` by Cholesky (LAPACK `dpotrf`/`dpotrs`), falling back to an
/// eigen-decomposition pseudo-inverse when `H` is not positive definite (constant or
/// duplicated columns without a penalty). Chunk boundaries never depend on the thread count
/// and chunk results are summed in order, so results are bit-identical on any thread count.
public struct LogisticRegression: Sendable {
    /// How rows are weighted by class.
    public enum ClassWeight: String, Sendable, Codable {
        /// Every row weighs its sample weight (default).
        case none
        /// Rows of class c weigh `n / (2 · n_c)` times their sample weight (scikit-learn's `"balanced"`).
        case balanced
    }

    /// Inverse penalty strength; `nil` fits without a penalty. Must be > 0.
    public var c: Double?
    /// Convergence tolerance on the largest gradient component of the mean (weight-normalised) objective.
    public var tolerance: Double
    /// Maximum Newton iterations.
    public var maxIterations: Int
    /// Class weighting.
    public var classWeight: ClassWeight
    /// Fit an unpenalised intercept.
    public var fitIntercept: Bool

    /// Creates the settings. Defaults: `C = 1`, tolerance `1e-8`, at most 100 iterations, no class weights.
    public init(c: Double? = 1.0, tolerance: Double = 1e-8, maxIterations: Int = 100,
                classWeight: ClassWeight = .none, fitIntercept: Bool = true) {
        self.c = c
        self.tolerance = tolerance
        self.maxIterations = maxIterations
        self.classWeight = classWeight
        self.fitIntercept = fitIntercept
    }

    /// Rows per chunk of the fused pass (about 1 MB of scratch at 32 columns).
    static let chunkRows = 4096

    /// Fits the model to the rows of `x` and the 0/1 labels `y`.
    ///
    /// - Parameters:
    ///   - x: One row per observation, no intercept column.
    ///   - y: Labels, each 0 or 1, both classes present.
    ///   - sampleWeights: Optional non-negative weight per row.
    ///   - start: Optional starting coefficients and intercept (warm start).
    /// - Returns: The fitted model, with iterations, convergence and standard errors.
    /// - Throws: `NumericsError` for bad shapes, labels, weights, NaN/∞ input, or an unpenalised
    ///   fit that diverges (perfectly separable data).
    /// - Complexity: O(iterations · n · p²).
    public func fit(_ x: Matrix, _ y: [Double], sampleWeights: [Double]? = nil,
                    start: (coefficients: [Double], intercept: Double)? = nil) throws -> LogisticModel {
        let p = x.columns
        try validate(x, y, sampleWeights)
        let s = weights(y: y, sampleWeights: sampleWeights)
        let totalWeight = s.reduce(0, +)
        guard totalWeight > 0 else {
            throw NumericsError.invalidParameter(name: "sample weights", value: "all zero", reason: "at least one row needs a positive weight")
        }
        let q = fitIntercept ? p + 1 : p                    // parameters: w (p), then b
        let lambda = c.map { 1 / $0 } ?? 0
        var theta = [Double](repeating: 0, count: q)
        if let start {
            guard start.coefficients.count == p else {
                throw NumericsError.dimensionMismatch("warm start has \(start.coefficients.count) coefficients, the data \(p) columns")
            }
            for j in 0..<p { theta[j] = start.coefficients[j] }
            if fitIntercept { theta[p] = start.intercept }
        }
        let pass = FusedPass(x: x, y: y, s: s, fitIntercept: fitIntercept)
        var current = pass.evaluate(theta: theta, lambda: lambda, wantHessian: true)
        var iterations = 0
        var converged = false
        var step = [Double](repeating: 0, count: q)
        while true {
            let gmax = current.gradient.reduce(0) { max($0, abs($1)) } / totalWeight
            guard gmax.isFinite, current.objective.isFinite else {
                throw NumericsError.diverged("logistic regression diverged (non-finite objective). " + Self.separableAdvice)
            }
            if gmax <= tolerance { converged = true; break }
            if iterations >= maxIterations { break }
            iterations += 1
            step = try Self.newtonStep(hessian: current.hessian, gradient: current.gradient, q: q)
            // Backtracking line search on the objective (Armijo); the accepted point's pass
            // already carries the gradient and Hessian for the next step.
            let slope = zip(step, current.gradient).reduce(0) { $0 + $1.0 * $1.1 }
            var t = 1.0
            var accepted: FusedPass.Result?
            for _ in 0..<40 {
                let trial = zip(theta, step).map { $0 + t * $1 }
                let r = pass.evaluate(theta: trial, lambda: lambda, wantHessian: true)
                if r.objective.isFinite && r.objective <= current.objective + 1e-4 * t * slope + 1e-12 * abs(current.objective) {
                    theta = trial
                    accepted = r
                    break
                }
                t *= 0.5
            }
            guard let next = accepted else {
                // No decrease possible along the Newton direction: we are at the optimum to machine precision.
                converged = gmax <= max(tolerance, 1e-6)
                break
            }
            let decrease = current.objective - next.objective
            current = next
            if lambda == 0 {
                if pass.isSeparated(theta: theta) && decrease >= 0 {
                    throw NumericsError.separable(quasi: false)
                }
                let wmax = theta.reduce(0) { max($0, abs($1)) }
                if wmax > 1e8 {
                    throw NumericsError.separable(quasi: true)
                }
            }
        }
        let hessianAtOptimum = current.hessian
        if converged {
            // One more Newton step from the converged point costs no pass over the data and
            // brings the coefficients to the optimum's quadratic neighbourhood (error ~ tol²).
            if let polish = try? Self.newtonStep(hessian: hessianAtOptimum, gradient: current.gradient, q: q),
               polish.allSatisfy({ $0.isFinite }) {
                for j in 0..<q { theta[j] += polish[j] }
            }
        }
        let se = Self.standardErrors(hessian: hessianAtOptimum, q: q)
        return LogisticModel(
            coefficients: Array(theta[0..<p]),
            intercept: fitIntercept ? theta[p] : 0,
            standardErrors: Array(se[0..<p]),
            interceptStandardError: fitIntercept ? se[p] : .nan,
            iterations: iterations,
            converged: converged,
            objective: current.objective,
            meanLogLoss: current.logLoss / totalWeight,
            c: c
        )
    }

    static let separableAdvice = "Fit with a penalty (a finite C, e.g. 1.0), or remove the feature that separates the classes."

    private func validate(_ x: Matrix, _ y: [Double], _ sampleWeights: [Double]?) throws {
        guard x.rows > 0 else { throw NumericsError.tooFewRows(rows: 0, needed: 2, context: "logistic regression") }
        guard y.count == x.rows else {
            throw NumericsError.dimensionMismatch("\(x.rows) rows but \(y.count) labels")
        }
        if let c, !(c > 0 && c.isFinite) {
            throw NumericsError.invalidParameter(name: "C", value: "\(c)", reason: "must be a positive finite number (omit it for no penalty)")
        }
        guard tolerance > 0, maxIterations >= 1 else {
            throw NumericsError.invalidParameter(name: "tolerance/maxIterations", value: "\(tolerance)/\(maxIterations)", reason: "tolerance must be > 0 and maxIterations >= 1")
        }
        if let (r, cidx) = x.firstNonFinite() { throw NumericsError.nonFinite(row: r, column: cidx, context: "logistic regression input") }
        var positives = 0
        for (i, v) in y.enumerated() {
            if v == 1 { positives += 1 } else if v != 0 {
                throw NumericsError.invalidLabels("row \(i + 1) has label \(v); labels must be 0 or 1")
            }
        }
        if positives == 0 || positives == y.count {
            throw NumericsError.invalidLabels("all \(y.count) labels are \(positives == 0 ? 0 : 1); logistic regression needs both classes")
        }
        if let w = sampleWeights {
            guard w.count == x.rows else { throw NumericsError.dimensionMismatch("\(x.rows) rows but \(w.count) sample weights") }
            if let i = w.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
                throw NumericsError.invalidParameter(name: "sample weight", value: "\(w[i])", reason: "row \(i + 1): weights must be finite and >= 0")
            }
        }
    }

    /// Per-row weights: sample weights times class weights.
    private func weights(y: [Double], sampleWeights: [Double]?) -> [Double] {
        var s = sampleWeights ?? [Double](repeating: 1, count: y.count)
        if classWeight == .balanced {
            // scikit-learn >= 1.6: class totals are sample-weighted, w_c = Σs / (2 · Σ_{y=c} s).
            var total = 0.0, pos = 0.0
            for i in 0..<s.count { total += s[i]; if y[i] == 1 { pos += s[i] } }
            let w1 = total / (2 * pos), w0 = total / (2 * (total - pos))
            for i in 0..<s.count { s[i] *= y[i] == 1 ? w1 : w0 }
        }
        return s
    }

    /// Solves `H·d = −g`: Cholesky when `H` is positive definite, otherwise the pseudo-inverse
    /// from a symmetric eigen-decomposition (eigenvalues below `1e-10·max` treated as zero).
    static func newtonStep(hessian: [Double], gradient: [Double], q: Int) throws -> [Double] {
        var factor = hessian
        var d = gradient.map { -$0 }
        if BLAS.potrf(&factor, n: q) == 0, !isNearlySingular(factor: factor, hessian: hessian, q: q),
           BLAS.potrs(factor, n: q, &d) == 0, d.allSatisfy({ $0.isFinite }) {
            return d
        }
        return try pseudoInverseSolve(hessian, gradient.map { -$0 }, q: q)
    }

    /// Whether a Cholesky factor reveals a (numerically) dependent column: the squared pivot
    /// `R_kk²` is the part of column k's curvature not explained by the columns before it; below
    /// `1e-10 · H_kk` the column is a linear combination of earlier ones (duplicated, constant
    /// alongside the intercept), and rounding alone made the factorisation succeed.
    static func isNearlySingular(factor: [Double], hessian: [Double], q: Int) -> Bool {
        for k in 0..<q {
            let r = factor[k * q + k]
            if r * r < 1e-10 * hessian[k * q + k] { return true }
        }
        return false
    }

    static func pseudoInverseSolve(_ a: [Double], _ b: [Double], q: Int) throws -> [Double] {
        let (values, vectors, info) = BLAS.symmetricEigen(a, n: q)
        guard info == 0 else { throw NumericsError.lapack(routine: "dsyevd", info: info) }
        let cutoff = (values.map(abs).max() ?? 0) * 1e-10
        var x = [Double](repeating: 0, count: q)
        for k in 0..<q where values[k] > cutoff {
            var proj = 0.0
            for i in 0..<q { proj += vectors[i * q + k] * b[i] }
            let coef = proj / values[k]
            for i in 0..<q { x[i] += coef * vectors[i * q + k] }
        }
        return x
    }

    /// Square roots of the diagonal of `H⁻¹`; NaN for parameters the data cannot identify.
    static func standardErrors(hessian: [Double], q: Int) -> [Double] {
        var factor = hessian
        if BLAS.potrf(&factor, n: q) == 0, !isNearlySingular(factor: factor, hessian: hessian, q: q) {
            let (inv, info) = BLAS.potri(factor, n: q)
            if info == 0 { return (0..<q).map { inv[$0 * q + $0] > 0 ? inv[$0 * q + $0].squareRoot() : .nan } }
        }
        // Singular: identifiable parameters still have a variance. A parameter is identifiable
        // when it is orthogonal to the null space; report those from the pseudo-inverse, NaN for the rest.
        let (values, vectors, info) = BLAS.symmetricEigen(hessian, n: q)
        guard info == 0 else { return [Double](repeating: .nan, count: q) }
        let cutoff = (values.map(abs).max() ?? 0) * 1e-10
        return (0..<q).map { i in
            var v = 0.0, nullWeight = 0.0
            for k in 0..<q {
                let e = vectors[i * q + k]
                if values[k] > cutoff { v += e * e / values[k] } else { nullWeight += e * e }
            }
            return nullWeight > 1e-8 ? .nan : v.squareRoot()
        }
    }
}

/// A fitted logistic regression: coefficients, intercept, standard errors and fit diagnostics.
public struct LogisticModel: Sendable, Equatable, Codable {
    /// One coefficient per input column.
    public var coefficients: [Double]
    /// The intercept (0 when fitted without one).
    public var intercept: Double
    /// Standard error of each coefficient, from the inverse Hessian of the (penalised) objective;
    /// NaN where the Hessian is singular (constant or duplicated columns without a penalty).
    public var standardErrors: [Double]
    /// Standard error of the intercept.
    public var interceptStandardError: Double
    /// Newton iterations taken.
    public var iterations: Int
    /// Whether the gradient tolerance was reached.
    public var converged: Bool
    /// Final value of the penalised, weighted objective.
    public var objective: Double
    /// Final weighted mean log-loss on the training data (class weights included).
    public var meanLogLoss: Double
    /// The inverse penalty strength used (`nil` = none).
    public var c: Double?

    /// The linear predictor `x·w + b` of every row.
    public func decisionFunction(_ x: Matrix) throws -> [Double] {
        guard x.columns == coefficients.count else {
            throw NumericsError.dimensionMismatch("model has \(coefficients.count) coefficients, data \(x.columns) columns")
        }
        var z = try x.times(coefficients)
        for i in 0..<z.count { z[i] += intercept }
        return z
    }

    /// The churn probability `σ(x·w + b)` of every row.
    public func probabilities(_ x: Matrix) throws -> [Double] {
        try decisionFunction(x).map(LogisticModel.sigmoid)
    }

    /// The logistic function, stable for large |z|.
    @inlinable
    public static func sigmoid(_ z: Double) -> Double {
        if z >= 0 { return 1 / (1 + exp(-z)) }
        let e = exp(z)
        return e / (1 + e)
    }
}

/// One fused pass over the data: objective, gradient and Hessian at `theta`, chunk by chunk.
struct FusedPass {
    let x: Matrix
    let y: [Double]
    let s: [Double]
    let fitIntercept: Bool

    struct Result {
        var objective: Double
        var logLoss: Double
        var gradient: [Double]
        var hessian: [Double]     // q × q, both triangles
    }

    /// Evaluates the objective (with penalty `½λ‖w‖²`), its gradient and Hessian at `theta`.
    ///
    /// Rows are cut into chunks of `LogisticRegression.chunkRows`; each chunk's loss, gradient
    /// and Hessian are computed on its own (``ChunkPass``) and summed in chunk order, so the
    /// result does not depend on the thread count.
    func evaluate(theta: [Double], lambda: Double, wantHessian: Bool) -> Result {
        let n = x.rows, p = x.columns
        let q = fitIntercept ? p + 1 : p
        let chunkRows = LogisticRegression.chunkRows
        let chunkCount = (n + chunkRows - 1) / chunkRows
        let workers = Parallel.workerCount(for: chunkCount)
        let partials = ChunkPartials(chunks: chunkCount, q: q, hessian: wantHessian)
        defer { partials.deallocate() }
        // Per-worker scratch: z (chunkRows) and A = √h · [X | 1] (chunkRows × q).
        let scratchZ = UnsafeMutablePointer<Double>.allocate(capacity: workers * chunkRows)
        let scratchA = wantHessian ? UnsafeMutablePointer<Double>.allocate(capacity: workers * chunkRows * q) : nil
        defer { scratchZ.deallocate(); scratchA?.deallocate() }
        let weights = Array(theta[0..<p])
        BLAS.singleThreaded {
            x.values.withUnsafeBufferPointer { xb in
            y.withUnsafeBufferPointer { yb in
            s.withUnsafeBufferPointer { sb in
            weights.withUnsafeBufferPointer { wb in
                let pass = ChunkPass(x: xb.baseAddress!, y: yb.baseAddress!, s: sb.baseAddress!, w: wb.baseAddress,
                                     rows: n, columns: p, q: q, chunkRows: chunkRows,
                                     intercept: fitIntercept ? theta[p] : 0,
                                     out: partials, scratchZ: scratchZ, scratchA: scratchA)
                Parallel.forEachIndexed(chunkCount) { chunk, worker in pass.run(chunk: chunk, worker: worker) }
            } } } }
        }
        return partials.reduce(theta: theta, lambda: lambda, columns: p)
    }

    /// Per-chunk results: loss, gradient (q) and upper-triangle Hessian (q × q, optional).
    struct ChunkPartials {
        let chunks: Int, q: Int
        let loss: UnsafeMutablePointer<Double>
        let gradient: UnsafeMutablePointer<Double>
        let hessian: UnsafeMutablePointer<Double>?

        init(chunks: Int, q: Int, hessian: Bool) {
            self.chunks = chunks; self.q = q
            loss = .allocate(capacity: chunks)
            loss.initialize(repeating: 0, count: chunks)
            gradient = .allocate(capacity: chunks * q)
            gradient.initialize(repeating: 0, count: chunks * q)
            self.hessian = hessian ? .allocate(capacity: chunks * q * q) : nil
            self.hessian?.initialize(repeating: 0, count: chunks * q * q)
        }

        func deallocate() { loss.deallocate(); gradient.deallocate(); hessian?.deallocate() }

        /// Sums the chunks in order and adds the penalty ½λ‖w‖² on the first `columns` entries
        /// of `theta` (never the intercept); fills the Hessian's lower triangle.
        func reduce(theta: [Double], lambda: Double, columns p: Int) -> Result {
            var logLoss = 0.0
            for k in 0..<chunks { logLoss += loss[k] }
            var gradient = [Double](repeating: 0, count: q)
            var hessian = [Double](repeating: 0, count: self.hessian == nil ? 0 : q * q)
            for k in 0..<chunks {
                for j in 0..<q { gradient[j] += self.gradient[k * q + j] }
                if let h = self.hessian {
                    let base = k * q * q
                    for i in 0..<q { for j in i..<q { hessian[i * q + j] += h[base + i * q + j] } }
                }
            }
            let wantHessian = self.hessian != nil
            var penalty = 0.0
            for j in 0..<p {
                penalty += theta[j] * theta[j]
                gradient[j] += lambda * theta[j]
                if wantHessian { hessian[j * q + j] += lambda }
            }
            if wantHessian { for i in 0..<q { for j in 0..<i { hessian[i * q + j] = hessian[j * q + i] } } }
            return Result(objective: logLoss + 0.5 * lambda * penalty, logLoss: logLoss, gradient: gradient, hessian: hessian)
        }
    }

    /// One chunk of rows: z = X_c·w + b, loss and residuals r = s(μ − y), then g_c = X_cᵀr and
    /// H_c = A_cᵀA_c with A_c = √(s μ(1−μ)) · [X_c | 1].
    struct ChunkPass {
        let x: UnsafePointer<Double>, y: UnsafePointer<Double>, s: UnsafePointer<Double>
        let w: UnsafePointer<Double>?
        let rows: Int, columns: Int, q: Int, chunkRows: Int
        let intercept: Double
        let out: ChunkPartials
        let scratchZ: UnsafeMutablePointer<Double>
        let scratchA: UnsafeMutablePointer<Double>?

        func run(chunk: Int, worker: Int) {
            let p = columns
            let r0 = chunk * chunkRows
            let m = min(chunkRows, rows - r0)
            let xc = x + r0 * p
            let z = scratchZ + worker * chunkRows
            let a = scratchA.map { $0 + worker * chunkRows * q }
            linearPredictor(xc, rows: m, into: z)
            let (loss, residualSum) = lossAndResiduals(xc, firstRow: r0, rows: m, z: z, weightedRows: a)
            out.loss[chunk] = loss
            let g = out.gradient + chunk * q
            if p > 0 {
                cblas_dgemv(CblasRowMajor, CblasTrans, Int32(m), Int32(p), 1, xc, Int32(p), z, 1, 0, g, 1)
            }
            if q > p { g[p] = residualSum }
            if let a, let h = out.hessian {
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(q), Int32(m), 1, a, Int32(q), 0, h + chunk * q * q, Int32(q))
            }
        }

        /// z = X_c · w + b.
        private func linearPredictor(_ xc: UnsafePointer<Double>, rows m: Int, into z: UnsafeMutablePointer<Double>) {
            for i in 0..<m { z[i] = intercept }
            if columns > 0 {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(columns), 1, xc, Int32(columns), w, 1, 1, z, 1)
            }
        }

        /// The chunk's weighted log-loss and Σ r; replaces z by the residuals r = s(μ − y) and,
        /// when `weightedRows` is given, fills it with √(s μ(1−μ)) · [x | 1] row by row.
        private func lossAndResiduals(_ xc: UnsafePointer<Double>, firstRow r0: Int, rows m: Int,
                                      z: UnsafeMutablePointer<Double>, weightedRows a: UnsafeMutablePointer<Double>?) -> (Double, Double) {
            let p = columns
            var loss = 0.0, rsum = 0.0
            for i in 0..<m {
                let zi = z[i]
                let e = exp(-abs(zi))
                let mu = zi >= 0 ? 1 / (1 + e) : e / (1 + e)
                let si = s[r0 + i], yi = y[r0 + i]
                loss += si * (log1p(e) + max(zi, 0) - yi * zi)
                let r = si * (mu - yi)
                z[i] = r
                rsum += r
                if let a {
                    let h = (si * mu * (1 - mu)).squareRoot()
                    let row = a + i * q
                    let xr = xc + i * p
                    for j in 0..<p { row[j] = h * xr[j] }
                    if q > p { row[p] = h }
                }
            }
            return (loss, rsum)
        }
    }

    /// Whether every row with positive weight lies strictly on its own side of the decision boundary.
    func isSeparated(theta: [Double]) -> Bool {
        let p = x.columns
        let b = fitIntercept ? theta[p] : 0
        for i in 0..<x.rows where s[i] > 0 {
            var z = b
            for j in 0..<p { z += x.values[i * p + j] * theta[j] }
            if (y[i] == 1 && z <= 0) || (y[i] == 0 && z >= 0) { return false }
        }
        return true
    }
}
