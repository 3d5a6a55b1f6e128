import Foundation
import RetainCore

/// Settings for k-means clustering (Lloyd's algorithm, optionally accelerated with Hamerly's bounds).
///
/// Semantics follow scikit-learn's `KMeans(algorithm="lloyd")`: every iteration assigns each row to
/// its nearest centre, then moves each centre to the mean of its rows. Iteration stops when no label
/// changes ("strict convergence"), when the summed squared centre shift is at most
/// `tolerance · mean(per-column variance of x)`, or after `maxIterations`; a run that stops without
/// strict convergence re-assigns the rows to the final centres. A centre left without rows is moved
/// onto the row farthest from its own centre.
///
///     let model = try KMeans(clusterCount: 4).fit(features, seed: 7)
///     let segments = try model.assign(newFeatures)
///
/// `.hamerly` (the default) gives exactly the labels and centres of `.lloyd`; it keeps per-row bounds
/// on the distances so that most rows skip the distance computation once the centres settle.
/// Results are bit-identical for any `Parallel.threadCount`.
public struct KMeans: Sendable {
    /// How each iteration finds the nearest centres.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// Every distance, every iteration (one GEMM per row chunk).
        case lloyd
        /// Hamerly's bounds skip rows whose nearest centre cannot have changed; same results as `.lloyd`.
        case hamerly
    }

    /// Number of clusters k (at least 1, at most the number of rows).
    public var clusterCount: Int
    /// Most Lloyd iterations per run (at least 1). Default 300.
    public var maxIterations: Int = 300
    /// Relative tolerance on the summed squared centre shift, scaled by the mean per-column variance
    /// of the data (scikit-learn's `tol`). 0 (the default) iterates until no label changes.
    public var tolerance: Double = 0
    /// Independent k-means++ runs (scikit-learn's `n_init`); the lowest inertia wins. Default 1.
    public var restarts: Int = 1
    /// Assignment algorithm. Default `.hamerly`.
    public var algorithm: Algorithm = .hamerly

    /// Creates k-means settings; nothing is checked until `fit`.
    public init(clusterCount: Int, maxIterations: Int = 300, tolerance: Double = 0, restarts: Int = 1,
                algorithm: Algorithm = .hamerly) {
        self.clusterCount = clusterCount
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.restarts = restarts
        self.algorithm = algorithm
    }

    /// Fits k-means to the rows of `x`, seeding each run with greedy k-means++.
    ///
    /// Restart r seeds from the r-th output of a `SeededGenerator(seed: seed)`, so a fit with
    /// `restarts: 1` equals the first run of a fit with more restarts and the same seed.
    ///
    /// - Parameters:
    ///   - x: One row per observation (finite values).
    ///   - seed: Randomness for k-means++ seeding.
    /// - Returns: The run with the lowest inertia (the first one on ties).
    /// - Throws: `NumericsError.invalidParameter` for a bad setting, `.tooFewRows` if rows < clusters,
    ///   `.nonFinite` for NaN or ±∞ in `x`.
    /// - Complexity: O(restarts · (k · log k · n · d + iterations · n · k · d)); with `.hamerly`, later
    ///   iterations cost O(n) plus O(k · d) per row whose bounds fail.
    public func fit(_ x: Matrix, seed: UInt64 = 0) throws -> KMeansModel {
        try fit(x, runSeeds: KMeans.restartSeeds(seed, count: restarts))
    }

    /// The seed of each restart: the first `count` outputs of `SeededGenerator(seed: seed)`.
    static func restartSeeds(_ seed: UInt64, count: Int) -> [UInt64] {
        var master = SeededGenerator(seed: seed)
        return (0..<max(count, 0)).map { _ in master.next() }
    }

    /// One k-means++ run per seed; the lowest inertia wins (the first one on ties).
    func fit(_ x: Matrix, runSeeds: [UInt64]) throws -> KMeansModel {
        try validate(x)
        precondition(!runSeeds.isEmpty, "k-means needs at least one run seed")
        return try x.withView { view in
            try BLAS.singleThreaded {
                let data = try KMeansData(view, clusterCount: clusterCount, checking: x, context: "k-means input")
                let tol = data.scaledTolerance(tolerance)
                var best: KMeansModel?
                for s in runSeeds {
                    var rng = SeededGenerator(seed: s)
                    let model = run(data, initial: data.kMeansPlusPlus(using: &rng), tolerance: tol)
                    if best == nil || model.inertia < best!.inertia { best = model }
                }
                return best!  // runSeeds is not empty
            }
        }
    }

    /// Fits k-means to the rows of `x` from the given initial centres (`restarts` is ignored).
    ///
    /// With the same centres, `tolerance` and `maxIterations`, the result matches scikit-learn's
    /// `KMeans(algorithm="lloyd", init=initialCentres, n_init=1)`: same labels and iteration count,
    /// centres and inertia equal up to rounding.
    ///
    /// - Parameters:
    ///   - x: One row per observation (finite values).
    ///   - initialCentres: `clusterCount` rows with as many columns as `x`.
    /// - Throws: as `fit(_:seed:)`, plus `NumericsError.dimensionMismatch` for centres of the wrong
    ///   shape and `.nonFinite` for NaN or ±∞ in them.
    /// - Complexity: O(iterations · n · k · d) with `.lloyd`; see `fit(_:seed:)` for `.hamerly`.
    public func fit(_ x: Matrix, initialCentres: Matrix) throws -> KMeansModel {
        try validate(x)
        guard initialCentres.rows == clusterCount, initialCentres.columns == x.columns else {
            throw NumericsError.dimensionMismatch(
                "initial centres are \(initialCentres.rows) x \(initialCentres.columns), expected "
                + "\(clusterCount) x \(x.columns) (one row per cluster, one column per feature)")
        }
        if let (r, c) = initialCentres.firstNonFinite() {
            throw NumericsError.nonFinite(row: r, column: c, context: "k-means initial centres")
        }
        return try x.withView { view in
            try BLAS.singleThreaded {
                let data = try KMeansData(view, clusterCount: clusterCount, checking: x, context: "k-means input")
                return run(data, initial: initialCentres.values, tolerance: data.scaledTolerance(tolerance))
            }
        }
    }

    private func validate(_ x: Matrix) throws {
        guard clusterCount >= 1 else {
            throw NumericsError.invalidParameter(name: "clusterCount", value: "\(clusterCount)",
                                                 reason: "k-means needs at least 1 cluster.")
        }
        guard maxIterations >= 1 else {
            throw NumericsError.invalidParameter(name: "maxIterations", value: "\(maxIterations)",
                                                 reason: "k-means needs at least 1 iteration.")
        }
        guard tolerance >= 0, tolerance.isFinite else {
            throw NumericsError.invalidParameter(name: "tolerance", value: "\(tolerance)",
                                                 reason: "use a finite value >= 0 (0 waits for no label to change).")
        }
        guard restarts >= 1 else {
            throw NumericsError.invalidParameter(name: "restarts", value: "\(restarts)",
                                                 reason: "k-means needs at least 1 run.")
        }
        guard x.rows >= clusterCount else {
            throw NumericsError.tooFewRows(rows: x.rows, needed: clusterCount,
                                           context: "k-means with \(clusterCount) clusters")
        }
        guard x.columns >= 1 else {
            throw NumericsError.dimensionMismatch("k-means needs at least 1 column, got 0")
        }
    }

    /// One k-means run from `initial` (k·d values, row-major).
    private func run(_ data: KMeansData, initial: [Double], tolerance: Double) -> KMeansModel {
        let engine = KMeansEngine(data, hamerly: algorithm == .hamerly)
        let r = engine.run(initial: initial, maxIterations: maxIterations, tolerance: tolerance)
        var centroids = Matrix(rows: data.k, columns: data.d)
        centroids.values = r.centres  // k·d values, row-major, by construction of the engine
        return KMeansModel(centroids: centroids, labels: r.labels, inertia: r.inertia,
                           iterations: r.iterations, converged: r.converged)
    }
}

/// A fitted k-means model: centres, the training rows' labels and the fit's diagnostics.
public struct KMeansModel: Sendable, Equatable, Codable {
    /// The cluster centres, one row per cluster.
    public let centroids: Matrix
    /// The cluster of each training row (0..<k), nearest centre in `centroids`.
    public let labels: [Int]
    /// Sum of squared distances from each training row to its centre.
    public let inertia: Double
    /// Lloyd iterations run (scikit-learn's `n_iter_`).
    public let iterations: Int
    /// Whether the run stopped on strict convergence or the tolerance, not on `maxIterations`.
    public let converged: Bool

    init(centroids: Matrix, labels: [Int], inertia: Double, iterations: Int, converged: Bool) {
        self.centroids = centroids
        self.labels = labels
        self.inertia = inertia
        self.iterations = iterations
        self.converged = converged
    }

    /// Number of training rows in each cluster.
    /// - Complexity: O(n).
    public var sizes: [Int] {
        var s = [Int](repeating: 0, count: centroids.rows)
        for l in labels { s[l] += 1 }
        return s
    }

    /// The nearest centre of each row of `x` (the lowest index on exact ties).
    ///
    /// - Throws: `NumericsError.dimensionMismatch` if `x` has a different number of columns than
    ///   the centres; `.nonFinite` for NaN or ±∞ in `x`.
    /// - Complexity: O(n · k · d).
    public func assign(_ x: Matrix) throws -> [Int] {
        guard x.columns == centroids.columns, centroids.rows > 0, centroids.columns > 0 else {
            throw NumericsError.dimensionMismatch(
                "k-means model has \(centroids.rows) centres of \(centroids.columns) columns, "
                + "the rows to assign have \(x.columns) columns")
        }
        if x.rows == 0 { return [] }
        return try x.withView { view in
            try BLAS.singleThreaded {
                let data = try KMeansData(view, clusterCount: centroids.rows, checking: x,
                                          context: "rows to assign to k-means clusters")
                let engine = KMeansEngine(data, hamerly: false)
                return engine.assignOnly(centroids.values)
            }
        }
    }

    private enum CodingKeys: String, CodingKey { case centroids, labels, inertia, iterations, converged }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        centroids = try Matrix(c.decode([[Double]].self, forKey: .centroids))
        labels = try c.decode([Int].self, forKey: .labels)
        inertia = try c.decode(Double.self, forKey: .inertia)
        iterations = try c.decode(Int.self, forKey: .iterations)
        converged = try c.decode(Bool.self, forKey: .converged)
        guard centroids.rows > 0, centroids.columns > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .centroids, in: c, debugDescription: "no centres")
        }
        guard labels.allSatisfy({ $0 >= 0 && $0 < centroids.rows }) else {
            throw DecodingError.dataCorruptedError(forKey: .labels, in: c,
                                                   debugDescription: "labels outside 0..<\(centroids.rows)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(centroids.rowArrays, forKey: .centroids)
        try c.encode(labels, forKey: .labels)
        try c.encode(inertia, forKey: .inertia)
        try c.encode(iterations, forKey: .iterations)
        try c.encode(converged, forKey: .converged)
    }
}

// MARK: - Data shared by all runs on one matrix

/// Squared Euclidean distance between two d-vectors, summed in a fixed order.
///
/// This is the one exact distance of the module's k-means: labels are the lowest-index argmin of it,
/// whichever algorithm or thread count finds them. Relative error at most (d + 3)·2⁻⁵³.
@inline(__always)
func kmSquaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ d: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    var t = 0
    while t + 4 <= d {
        let e0 = a[t] - b[t], e1 = a[t + 1] - b[t + 1], e2 = a[t + 2] - b[t + 2], e3 = a[t + 3] - b[t + 3]
        s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3
        t += 4
    }
    while t < d {
        let e = a[t] - b[t]
        s0 += e * e
        t += 1
    }
    return (s0 + s1) + (s2 + s3)
}

/// The data matrix as the k-means kernels see it: a borrowed pointer, the fixed row chunks and the
/// squared row norms (computed once, shared by restarts). Valid only inside `Matrix.withView`.
final class KMeansData {
    let x: UnsafePointer<Double>
    let n: Int
    let d: Int
    let k: Int
    /// Rows per chunk, the unit of parallel work: depends on n, k and d only, never on the thread count.
    let chunkRows: Int
    let chunkCount: Int
    /// Rows per sum block (chunkRows / 8): centre sums are kept per block, so that an iteration that
    /// changes few labels recomputes few of them.
    let sumRows: Int
    let sumBlockCount: Int
    /// ‖xᵢ‖² for every row.
    let rowNorms: UnsafeMutablePointer<Double>
    /// False when some row norm is NaN or ∞ (a NaN or ∞ in the data, or an overflow).
    let rowNormsAreFinite: Bool
    /// Mean of each column.
    let columnMeans: [Double]

    init(_ view: MatrixView, clusterCount: Int) {
        precondition(view.rows > 0 && view.columns > 0, "k-means data must be non-empty")
        x = view.base!
        n = view.rows
        d = view.columns
        k = clusterCount
        // 128 rows per sum block, more when the block sums (blocks · k · d) would pass 32 MB.
        let maxPartials = 1 << 22
        let needed = (n * k * d + maxPartials - 1) / maxPartials
        sumRows = max(128, (needed + 127) / 128 * 128)
        sumBlockCount = (n + sumRows - 1) / sumRows
        chunkRows = 8 * sumRows
        chunkCount = (n + chunkRows - 1) / chunkRows
        rowNorms = .allocate(capacity: n)
        // One pass: row norms, per-chunk column sums (for the tolerance) and a NaN/∞ check.
        let (x, d, n, norms, chunkRows, chunkCount) = (x, d, n, rowNorms, chunkRows, chunkCount)
        var chunkColumnSums = [Double](repeating: 0, count: chunkCount * d)
        var chunkFinite = [Bool](repeating: true, count: chunkCount)
        chunkColumnSums.withUnsafeMutableBufferPointer { sb in chunkFinite.withUnsafeMutableBufferPointer { fb in
            let sums = sb.baseAddress!, finite = fb.baseAddress!
            Parallel.forEach(chunkCount) { c in
                let cs = sums + c * d
                var allFinite = true
                for i in (c * chunkRows)..<min(n, (c + 1) * chunkRows) {
                    let xi = x + i * d
                    var s = 0.0
                    for t in 0..<d {
                        s += xi[t] * xi[t]
                        cs[t] += xi[t]
                    }
                    norms[i] = s
                    allFinite = allFinite && s.isFinite
                }
                finite[c] = allFinite
            }
        } }
        var means = [Double](repeating: 0, count: d)
        for c in 0..<chunkCount { for t in 0..<d { means[t] += chunkColumnSums[c * d + t] } }
        columnMeans = means.map { $0 / Double(n) }
        rowNormsAreFinite = !chunkFinite.contains(false)
    }

    /// As `init(_:clusterCount:)`, then throws `NumericsError.nonFinite` naming the first NaN or ±∞ of
    /// `matrix` (the matrix `view` shows).
    convenience init(_ view: MatrixView, clusterCount: Int, checking matrix: Matrix, context: String) throws {
        self.init(view, clusterCount: clusterCount)
        if !rowNormsAreFinite, let (r, c) = matrix.firstNonFinite() {
            throw NumericsError.nonFinite(row: r, column: c, context: context)
        }
    }

    deinit { rowNorms.deallocate() }

    @inline(__always)
    func chunk(_ c: Int) -> Range<Int> { (c * chunkRows)..<min(n, (c + 1) * chunkRows) }

    /// `tolerance · mean(per-column population variance)`, scikit-learn's absolute tolerance.
    /// - Complexity: O(n · d).
    func scaledTolerance(_ tolerance: Double) -> Double {
        if tolerance == 0 { return 0 }
        let (x, d, n) = (self.x, self.d, self.n)
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: chunkCount * d)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: chunkCount * d)
        columnMeans.withUnsafeBufferPointer { m in
            let m = m.baseAddress!
            Parallel.forEach(chunkCount) { c in
                let p = partial + c * d
                for i in self.chunk(c) {
                    for t in 0..<d { let e = x[i * d + t] - m[t]; p[t] += e * e }
                }
            }
        }
        var variance = [Double](repeating: 0, count: d)
        for c in 0..<chunkCount { for t in 0..<d { variance[t] += partial[c * d + t] } }
        let meanVariance = variance.reduce(0) { $0 + $1 / Double(n) } / Double(d)
        return meanVariance * tolerance
    }

    /// Greedy k-means++ (scikit-learn's): each new centre is the best of 2 + ⌊ln k⌋ candidates drawn
    /// with probability proportional to the squared distance to the nearest chosen centre, "best"
    /// meaning the lowest resulting potential (sum of those squared distances).
    ///
    /// - Returns: k·d values, row-major.
    /// - Complexity: O(k · log k · n · d).
    func kMeansPlusPlus(using rng: inout SeededGenerator) -> [Double] {
        let (x, d, n, k) = (self.x, self.d, self.n, self.k)
        var centres = [Double](repeating: 0, count: k * d)
        let closest = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { closest.deallocate() }
        let trials = 2 + Int(log(Double(k)))
        var chunkPotential = [Double](repeating: 0, count: chunkCount)
        var candidatePotential = [Double](repeating: 0, count: chunkCount * trials)

        func copyRow(_ i: Int, to j: Int) {
            for t in 0..<d { centres[j * d + t] = x[i * d + t] }
        }
        /// closest = min(closest, distance to row `centre`) (all of it when `first`); returns the potential.
        func absorb(_ centre: Int, first: Bool) -> Double {
            chunkPotential.withUnsafeMutableBufferPointer { pot in
                let pot = pot.baseAddress!
                Parallel.forEach(chunkCount) { c in
                    let cp = x + centre * d
                    var s = 0.0
                    for i in self.chunk(c) {
                        let v = kmSquaredDistance(x + i * d, cp, d)
                        let m = first ? v : min(closest[i], v)
                        closest[i] = m
                        s += m
                    }
                    pot[c] = s
                }
            }
            return chunkPotential.reduce(0, +)
        }
        /// The first row whose running potential passes `r` (chunk prefix sums, then a scan within
        /// the chunk); rows already chosen (distance 0) are never drawn.
        func draw(_ r: Double) -> Int {
            var prefix = 0.0
            for c in 0..<chunkCount {
                let next = prefix + chunkPotential[c]
                if next > r {  // prefix <= r < next, so this chunk has a row at positive distance
                    var acc = prefix
                    var last = -1
                    for i in chunk(c) where closest[i] > 0 {
                        acc += closest[i]
                        last = i
                        if acc > r { return i }
                    }
                    return last
                }
                prefix = next
            }
            // r reached the total through rounding: the last row at positive distance.
            for i in (0..<n).reversed() where closest[i] > 0 { return i }
            return n - 1
        }

        let first = min(n - 1, Int(rng.nextUnit() * Double(n)))
        copyRow(first, to: 0)
        var potential = absorb(first, first: true)
        if k == 1 { return centres }
        for j in 1..<k {
            let candidates = (0..<trials).map { _ in draw(rng.nextUnit() * potential) }
            candidatePotential.withUnsafeMutableBufferPointer { cpot in
                let cpot = cpot.baseAddress!
                candidates.withUnsafeBufferPointer { cand in
                    Parallel.forEach(chunkCount) { c in
                        for (t, row) in cand.enumerated() {
                            let cp = x + row * d
                            var s = 0.0
                            for i in self.chunk(c) { s += min(closest[i], kmSquaredDistance(x + i * d, cp, d)) }
                            cpot[c * trials + t] = s
                        }
                    }
                }
            }
            var bestTrial = 0
            var bestPotential = Double.infinity
            for t in 0..<trials {
                var s = 0.0
                for c in 0..<chunkCount { s += candidatePotential[c * trials + t] }
                if s < bestPotential { bestPotential = s; bestTrial = t }
            }
            copyRow(candidates[bestTrial], to: j)
            potential = absorb(candidates[bestTrial], first: false)
        }
        return centres
    }
}

// MARK: - One run

/// Scratch buffers for parallel chunks, reused across chunks (at most one set per running thread).
final class ScratchPool: @unchecked Sendable {
    struct Buffers {
        let doubles: UnsafeMutablePointer<Double>
        let ints: UnsafeMutablePointer<Int>
    }
    private let doubles: Int
    private let ints: Int
    private var free: [Buffers] = []
    private var all: [Buffers] = []
    private let lock = NSLock()

    init(doubles: Int, ints: Int) {
        self.doubles = doubles
        self.ints = ints
    }

    deinit {
        for b in all { b.doubles.deallocate(); b.ints.deallocate() }
    }

    func with<R>(_ body: (Buffers) -> R) -> R {
        lock.lock()
        let b: Buffers
        if let f = free.popLast() {
            b = f
        } else {
            b = Buffers(doubles: .allocate(capacity: doubles), ints: .allocate(capacity: ints))
            all.append(b)
        }
        lock.unlock()
        defer { lock.lock(); free.append(b); lock.unlock() }
        return body(b)
    }
}

/// One k-means run's working state: labels, Hamerly bounds and per-block centre sums, in buffers
/// allocated once per run; centres are small arrays.
///
/// Labels are always the lowest-index argmin of `kmSquaredDistance`. The GEMM path
/// (‖x‖² − 2x·c + ‖c‖²) decides directly only when its runner-up is farther than a rigorous
/// rounding-error margin, and falls back to exact distances otherwise; Hamerly's bounds skip a row
/// only when they prove, with the same margins, that its exact argmin cannot have changed. So both
/// algorithms, on any number of threads, see the same labels, hence the same block sums (added in a
/// fixed order) and bit-identical centres.
final class KMeansEngine {
    let data: KMeansData
    let hamerly: Bool
    let labels: UnsafeMutablePointer<Int32>
    /// Hamerly: upper bound on the distance from each row to its centre.
    let upper: UnsafeMutablePointer<Double>
    /// Hamerly: lower bound on the distance from each row to any other centre.
    let lower: UnsafeMutablePointer<Double>
    /// Per sum block, the k × d sums of its rows by label and the counts (kept between iterations:
    /// a block whose labels did not change keeps its sums).
    let blockSums: UnsafeMutablePointer<Double>
    let blockCounts: UnsafeMutablePointer<Int>
    /// Whether a label in the sum block changed since its sums were computed.
    let blockDirty: UnsafeMutablePointer<Bool>
    /// Per chunk, the sum of its blocks' sums in block order.
    let chunkSums: UnsafeMutablePointer<Double>
    let chunkCounts: UnsafeMutablePointer<Int>
    let chunkChanges: UnsafeMutablePointer<Int>
    /// Rows per GEMM call (the k × rows distance block stays within 32 KB).
    let blockRows: Int
    /// Per-thread scratch: GEMM block, gathered rows, row indices.
    let scratch: ScratchPool
    /// Bound on the absolute error of a GEMM squared distance, per unit of ‖x‖² + max‖c‖².
    let gemmError: Double
    /// Factors that round a distance bound outwards (cover the exact distance's error and rounding).
    let up: Double
    let down: Double
    /// A row skips when upper · skipFactor < its lower bound (the margin that keeps the exact argmin).
    let skipFactor: Double

    struct Result {
        var centres: [Double]
        var labels: [Int]
        var inertia: Double
        var iterations: Int
        var converged: Bool
    }

    init(_ data: KMeansData, hamerly: Bool) {
        self.data = data
        self.hamerly = hamerly
        let (n, k, d) = (data.n, data.k, data.d)
        labels = .allocate(capacity: n)
        labels.initialize(repeating: -1, count: n)
        upper = .allocate(capacity: hamerly ? n : 1)
        lower = .allocate(capacity: hamerly ? n : 1)
        blockSums = .allocate(capacity: data.sumBlockCount * k * d)
        blockCounts = .allocate(capacity: data.sumBlockCount * k)
        blockDirty = .allocate(capacity: data.sumBlockCount)
        blockDirty.initialize(repeating: true, count: data.sumBlockCount)
        chunkSums = .allocate(capacity: data.chunkCount * k * d)
        chunkCounts = .allocate(capacity: data.chunkCount * k)
        chunkChanges = .allocate(capacity: data.chunkCount)
        blockRows = min(data.chunkRows, max(8, 4096 / k))
        scratch = ScratchPool(doubles: (k + 3 + d) * blockRows, ints: data.chunkRows)
        let unit = 0x1p-53
        gemmError = Double(8 * d + 32) * unit
        let gamma = Double(2 * d + 8) * unit
        up = 1 + gamma
        down = 1 - gamma
        skipFactor = 1 + 4 * gamma
    }

    deinit {
        labels.deallocate()
        upper.deallocate()
        lower.deallocate()
        blockSums.deallocate()
        blockCounts.deallocate()
        blockDirty.deallocate()
        chunkSums.deallocate()
        chunkCounts.deallocate()
        chunkChanges.deallocate()
    }

    /// Runs Lloyd iterations (scikit-learn's `_kmeans_single_lloyd`) from `initial`.
    func run(initial: [Double], maxIterations: Int, tolerance: Double) -> Result {
        var centres = initial
        var strict = false
        var converged = false
        var iterations = 0
        var shifts: HamerlyShifts?
        for it in 0..<maxIterations {
            iterations = it + 1
            let changes: Int
            if let s = shifts {
                changes = assignHamerly(centres, s, updateSums: true)
            } else {
                changes = assignLloyd(centres, bounds: hamerly, updateSums: true)
            }
            let (next, shift) = updateCentres(from: centres)
            if hamerly { shifts = hamerlyShifts(from: centres, to: next) }
            centres = next
            if changes == 0 { strict = true; converged = true; break }
            if shift <= tolerance { converged = true; break }
        }
        if !strict {
            // Final E-step so that the labels belong to the returned centres.
            if let s = shifts {
                _ = assignHamerly(centres, s, updateSums: false)
            } else {
                _ = assignLloyd(centres, bounds: false, updateSums: false)
            }
        }
        return Result(centres: centres, labels: labelArray(), inertia: inertia(centres), iterations: iterations,
                      converged: converged)
    }

    /// The labels of the rows for `centres` (no centre update).
    func assignOnly(_ centres: [Double]) -> [Int] {
        _ = assignLloyd(centres, bounds: false, updateSums: false)
        return labelArray()
    }

    private func labelArray() -> [Int] {
        let (n, labels) = (data.n, self.labels)
        return [Int](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = Int(labels[i]) }
            count = n
        }
    }

    /// Nearest centre by exact distance: (lowest-index argmin, its squared distance, runner-up's).
    @inline(__always)
    static func nearest(_ xi: UnsafePointer<Double>, _ c: UnsafePointer<Double>, k: Int, d: Int)
        -> (label: Int, best: Double, second: Double) {
        var best = Double.infinity, second = Double.infinity, label = 0
        for j in 0..<k {
            let v = kmSquaredDistance(xi, c + j * d, d)
            if v < best { second = best; best = v; label = j } else if v < second { second = v }
        }
        return (label, best, second)
    }

    /// E-step with one GEMM per block of rows: labels (and, with `bounds`, Hamerly's bounds);
    /// with `updateSums`, every chunk's partial sums. Returns the number of labels that changed.
    /// - Complexity: O(n · k · d).
    func assignLloyd(_ centres: [Double], bounds: Bool, updateSums: Bool) -> Int {
        let (x, d, blockRows, chunkChanges) = (data.x, data.d, self.blockRows, self.chunkChanges)
        withCentres(centres) { cs in
            Parallel.forEach(data.chunkCount) { ch in
                let range = self.data.chunk(ch)
                var changes = 0
                self.scratch.with { s in
                    var b = range.lowerBound
                    while b < range.upperBound {
                        let m = min(blockRows, range.upperBound - b)
                        changes += self.assignBlock(x + b * d, m: m, first: b, indices: nil, cs, s.doubles, bounds: bounds)
                        b += m
                    }
                }
                chunkChanges[ch] = changes
                if updateSums { self.accumulate(ch, all: true) }
            }
        }
        var total = 0
        for ch in 0..<data.chunkCount { total += chunkChanges[ch] }
        return total
    }

    /// Centre pointers and squared norms for one E-step.
    struct Centres {
        let c: UnsafePointer<Double>
        let norms: UnsafePointer<Double>
        let normMax: Double
    }

    func withCentres<R>(_ centres: [Double], _ body: (Centres) -> R) -> R {
        let (k, d) = (data.k, data.d)
        var norms = [Double](repeating: 0, count: k)
        for j in 0..<k { for t in 0..<d { norms[j] += centres[j * d + t] * centres[j * d + t] } }
        let normMax = norms.max()!
        return centres.withUnsafeBufferPointer { cb in norms.withUnsafeBufferPointer { nb in
            body(Centres(c: cb.baseAddress!, norms: nb.baseAddress!, normMax: normMax))
        } }
    }

    /// Labels `m` rows stored contiguously at `rows` (row r is data row `indices[r]`, or `first + r`)
    /// from one GEMM, ‖c‖² − 2x·c; with `bounds`, also sets Hamerly's bounds. Returns the number of
    /// labels that changed. `scratch` holds (k + 3)·m doubles.
    /// - Complexity: O(m · k · d).
    @inline(__always)
    func assignBlock(_ rows: UnsafePointer<Double>, m: Int, first: Int, indices: UnsafePointer<Int>?,
                     _ cs: Centres, _ scratch: UnsafeMutablePointer<Double>, bounds: Bool) -> Int {
        let (k, d, xn, labels, upper, lower) = (data.k, data.d, data.rowNorms, self.labels, self.upper, self.lower)
        let (gemmError, up, down, blockDirty, sumRows) = (self.gemmError, self.up, self.down, self.blockDirty, data.sumRows)
        let cn = cs.norms
        let dist = scratch, best = scratch + k * m, second = best + m, nearest = second + m
        // dist[j, r] = -2 cⱼ·xᵣ: one centre per row, so the argmin below runs along contiguous rows.
        BLAS.gemm(transposeA: false, transposeB: true, m: k, n: m, k: d, alpha: -2,
                  a: cs.c, lda: d, b: rows, ldb: d, beta: 0, c: dist, ldc: m)
        // Nearest and runner-up for each row; branch-free min/max so that the loops vectorise.
        // Ties keep the lower centre.
        let c0 = cn[0]
        for r in 0..<m {
            best[r] = dist[r] + c0
            second[r] = .infinity
            nearest[r] = 0
        }
        for j in 1..<max(k, 1) {
            let row = dist + j * m, cj = cn[j], jd = Double(j)
            for r in 0..<m {
                let v = row[r] + cj, b = best[r]
                let closer: Double = v < b ? 1 : 0
                nearest[r] += (jd - nearest[r]) * closer
                second[r] = min(second[r], max(b, v))
                best[r] = min(b, v)
            }
        }
        var changes = 0
        for r in 0..<m {
            let i = indices.map { $0[r] } ?? first + r
            let err = gemmError * (xn[i] + cs.normMax)
            var label = Int(nearest[r])
            let b = best[r], s = second[r]
            if s - b <= 4 * err {
                // Too close for the GEMM's rounding: decide on exact distances.
                let e = KMeansEngine.nearest(rows + r * d, cs.c, k: k, d: d)
                label = e.label
                if bounds { upper[i] = e.best.squareRoot() * up; lower[i] = e.second.squareRoot() * down }
            } else if bounds {
                upper[i] = max(0, xn[i] + b + err).squareRoot() * up
                lower[i] = max(0, xn[i] + s - err).squareRoot() * down
            }
            let l32 = Int32(truncatingIfNeeded: label)
            if labels[i] != l32 {
                labels[i] = l32
                blockDirty[i / sumRows] = true
                changes += 1
            }
        }
        return changes
    }

    /// Recomputes the sums of chunk `ch`'s sum blocks (all, or those with a changed label), rows in
    /// order, then the chunk's sums from its blocks, in order.
    /// - Complexity: O(recomputed rows · d + k · d).
    func accumulate(_ ch: Int, all: Bool) {
        let (k, d, x, labels, sumRows) = (data.k, data.d, data.x, self.labels, data.sumRows)
        let range = data.chunk(ch)
        let firstBlock = range.lowerBound / sumRows
        let lastBlock = (range.upperBound - 1) / sumRows
        let total = chunkSums + ch * k * d, totalCounts = chunkCounts + ch * k
        total.update(repeating: 0, count: k * d)
        totalCounts.update(repeating: 0, count: k)
        for blk in firstBlock...lastBlock {
            let sums = blockSums + blk * k * d, counts = blockCounts + blk * k
            if all || blockDirty[blk] {
                blockDirty[blk] = false
                sums.update(repeating: 0, count: k * d)
                counts.update(repeating: 0, count: k)
                for i in (blk * sumRows)..<min(range.upperBound, (blk + 1) * sumRows) {
                    let a = Int(labels[i])
                    counts[a] += 1
                    let s = sums + a * d, xi = x + i * d
                    for t in 0..<d { s[t] += xi[t] }
                }
            }
            for e in 0..<(k * d) { total[e] += sums[e] }
            for j in 0..<k { totalCounts[j] += counts[j] }
        }
    }

    /// M-step: centres = means of their rows (chunk sums added in chunk order), empty clusters
    /// re-seeded as scikit-learn does. Returns the new centres and the summed squared shift.
    /// - Complexity: O(chunks · k · d), plus O(n · d) when a cluster is empty.
    func updateCentres(from old: [Double]) -> (centres: [Double], shift: Double) {
        let (k, d) = (data.k, data.d)
        var totals = [Double](repeating: 0, count: k * d)
        var counts = [Int](repeating: 0, count: k)
        totals.withUnsafeMutableBufferPointer { tb in counts.withUnsafeMutableBufferPointer { cb in
            for ch in 0..<data.chunkCount {
                let p = chunkSums + ch * k * d, q = chunkCounts + ch * k
                for e in 0..<(k * d) { tb[e] += p[e] }
                for j in 0..<k { cb[j] += q[j] }
            }
        } }
        if counts.contains(0) { relocateEmptyClusters(&totals, &counts, old) }
        var biggest = 0
        for j in 1..<max(k, 1) where counts[j] > counts[biggest] { biggest = j }
        var centres = totals
        for j in 0..<k where counts[j] > 0 {
            let alpha = 1.0 / Double(counts[j])
            for t in 0..<d { centres[j * d + t] = totals[j * d + t] * alpha }
        }
        for j in 0..<k where counts[j] == 0 {
            // Nothing to move to (all rows on their centres): sit on the biggest cluster, as scikit-learn.
            for t in 0..<d { centres[j * d + t] = centres[biggest * d + t] }
        }
        var shift = 0.0
        centres.withUnsafeBufferPointer { nb in old.withUnsafeBufferPointer { ob in
            for j in 0..<k {
                let s = kmSquaredDistance(nb.baseAddress! + j * d, ob.baseAddress! + j * d, d).squareRoot()
                shift += s * s
            }
        } }
        return (centres, shift)
    }

    /// scikit-learn's `_relocate_empty_clusters_dense`: the i-th empty cluster takes the row with
    /// the i-th largest distance to its (old) centre, ties to the lower row; that row's sum moves.
    /// - Complexity: O(n · d + n · empty).
    func relocateEmptyClusters(_ totals: inout [Double], _ counts: inout [Int], _ old: [Double]) {
        let (n, k, d, x, labels) = (data.n, data.k, data.d, data.x, self.labels)
        let empty = (0..<k).filter { counts[$0] == 0 }
        let distance = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { distance.deallocate() }
        old.withUnsafeBufferPointer { ob in
            let c = ob.baseAddress!
            Parallel.forEach(data.chunkCount) { ch in
                for i in self.data.chunk(ch) { distance[i] = kmSquaredDistance(x + i * d, c + Int(labels[i]) * d, d) }
            }
        }
        // The `empty.count` farthest rows, farthest first (stable: lower row first on ties).
        var far: [(distance: Double, row: Int)] = []
        for i in 0..<n {
            let v = distance[i]
            if far.count == empty.count && !(v > far[far.count - 1].distance) { continue }
            var at = far.count
            while at > 0 && v > far[at - 1].distance { at -= 1 }
            far.insert((v, i), at: at)
            if far.count > empty.count { far.removeLast() }
        }
        guard let first = far.first, first.distance > 0 else { return }
        for (idx, target) in empty.enumerated() {
            let row = far[idx].row
            let source = Int(labels[row])
            for t in 0..<d {
                totals[source * d + t] -= x[row * d + t]
                totals[target * d + t] = x[row * d + t]
            }
            counts[target] = 1
            counts[source] -= 1
        }
    }

    /// Sum of squared exact distances from each row to its labelled centre (chunk sums in order).
    /// - Complexity: O(n · d).
    func inertia(_ centres: [Double]) -> Double {
        let (d, x, labels) = (data.d, data.x, self.labels)
        var partial = [Double](repeating: 0, count: data.chunkCount)
        partial.withUnsafeMutableBufferPointer { pb in centres.withUnsafeBufferPointer { cb in
            let p = pb.baseAddress!, c = cb.baseAddress!
            Parallel.forEach(data.chunkCount) { ch in
                var s = 0.0
                for i in self.data.chunk(ch) { s += kmSquaredDistance(x + i * d, c + Int(labels[i]) * d, d) }
                p[ch] = s
            }
        } }
        return partial.reduce(0, +)
    }
}
