import Foundation
import RetainCore

/// Settings of the maximum-likelihood fit shared by the customer-lifetime-value models.
///
/// Parameters are optimised on the log scale (so they stay positive) by L-BFGS with a weak-Wolfe
/// line search, then polished by Newton steps on a numerical Hessian until the step is below
/// 1e-10; that Hessian also gives the standard errors. A start that fails (non-finite likelihood,
/// no convergence) is followed by the next built-in start, and `restarts` extra starts can be
/// forced to guard against a local optimum; the best optimum wins.
public struct MaximumLikelihoodOptions: Sendable, Equatable {
    /// Most L-BFGS iterations per start. Default 1,000.
    public var maxIterations: Int
    /// Convergence tolerance on the largest gradient component of the mean negative
    /// log-likelihood with respect to the log-parameters. Default 1e-7 (Newton polishing then
    /// takes the fit to the optimum within rounding).
    public var gradientTolerance: Double
    /// Extra starts run even after a successful fit (each jittered by ±1 on the log scale around
    /// the default start, seeded, so fits stay reproducible). Default 0.
    public var restarts: Int

    /// Creates the settings; see the properties for the defaults.
    public init(maxIterations: Int = 1000, gradientTolerance: Double = 1e-7, restarts: Int = 0) {
        self.maxIterations = maxIterations
        self.gradientTolerance = gradientTolerance
        self.restarts = restarts
    }
}

/// How a maximum-likelihood fit went (shared by all fitted models).
public struct FitDiagnostics: Sendable, Equatable, Codable {
    /// L-BFGS iterations plus Newton steps, summed over the starts tried.
    public var iterations: Int
    /// Likelihood evaluations (each with its gradient), summed over the starts tried.
    public var evaluations: Int
    /// Largest gradient component of the mean negative log-likelihood (log-parameters) at the optimum.
    public var maxGradient: Double
    /// Number of distinct (x, tₓ, T) rows the likelihood was summed over after merging duplicates.
    public var distinctRows: Int

    /// No fit: a model built from known parameters.
    static let none = FitDiagnostics(iterations: 0, evaluations: 0, maxGradient: .nan, distinctRows: 0)

    /// The statistics of an optimiser run over `distinctRows` merged rows.
    init(_ r: MaximumLikelihood.Result, distinctRows: Int) {
        self.init(iterations: r.iterations, evaluations: r.evaluations,
                  maxGradient: MaximumLikelihood.maxAbs(r.gradient), distinctRows: distinctRows)
    }

    init(iterations: Int, evaluations: Int, maxGradient: Double, distinctRows: Int) {
        self.iterations = iterations; self.evaluations = evaluations
        self.maxGradient = maxGradient; self.distinctRows = distinctRows
    }
}

/// A model fitted by ``MaximumLikelihood/fit(model:objective:logStarts:options:totalWeight:distinctRows:)``:
/// natural parameters in the model's order, what every fitted model stores beside them.
struct MaximumLikelihoodFit {
    /// θ = exp(x) at the optimum.
    var parameters: [Double]
    /// Standard errors of θ; nil when the Hessian is not positive definite.
    var standardErrors: [Double]?
    /// Maximised total log-likelihood (mean × total weight).
    var logLikelihood: Double
    /// Total weight (customers) the likelihood was summed over.
    var customerCount: Double
    /// Optimiser statistics.
    var diagnostics: FitDiagnostics
}

/// The shared optimiser: L-BFGS + Newton polish on log-parameters, numerical Hessian, standard errors.
enum MaximumLikelihood {
    /// Fits a model whose `objective` is the mean negative log-likelihood in log-parameters:
    /// minimises it from `logStarts` (tried in order, see ``minimise(_:starts:options:)``),
    /// requires convergence, and returns natural parameters, standard errors, total
    /// log-likelihood and diagnostics. The one fitting shell of the CLV models.
    ///
    /// - Parameters:
    ///   - model: The model's name for error messages ("BG/NBD").
    ///   - totalWeight: Customers the mean is taken over.
    ///   - distinctRows: Rows the likelihood sums over after merging duplicates (diagnostics).
    /// - Throws: `NumericsError.diverged` when no start gives a finite, converged optimum.
    static func fit(model: String, objective: Objective, logStarts: [[Double]], options: MaximumLikelihoodOptions,
                    totalWeight: Double, distinctRows: Int) throws -> MaximumLikelihoodFit {
        let r = minimise(objective, starts: logStarts, options: options)
        try requireConverged(r, model: model)
        return MaximumLikelihoodFit(
            parameters: r.x.map { exp($0) },
            standardErrors: standardErrors(r, totalWeight: totalWeight),
            logLikelihood: -r.value * totalWeight, customerCount: totalWeight,
            diagnostics: FitDiagnostics(r, distinctRows: distinctRows))
    }

    /// Throws `.diverged` with an actionable message when the optimiser did not converge.
    static func requireConverged(_ r: Result, model: String) throws {
        guard r.value.isFinite else {
            throw NumericsError.diverged(
                "\(model) fit failed: the log-likelihood is not finite at any start. Check the RFM data for extreme values (recency and age in the stated time unit).")
        }
        guard r.converged else {
            throw NumericsError.diverged(
                "\(model) fit did not converge in \(r.iterations) iterations (largest gradient \(maxAbs(r.gradient))). Raise maxIterations or add restarts; if it persists the data may not identify the model (e.g. almost no repeat purchases).")
        }
    }

    /// Mean negative log-likelihood at log-parameters `x`; fills `gradient` (same length as `x`).
    typealias Objective = (_ x: [Double], _ gradient: inout [Double]) -> Double

    struct Result {
        var x: [Double]
        var value: Double
        var gradient: [Double]
        /// Hessian (row-major) of the mean negative log-likelihood in log-parameters at `x`.
        var hessian: [Double]?
        var iterations: Int
        var evaluations: Int
        var converged: Bool
    }

    /// Minimises `f` from `starts` (tried in order until one converges), plus `options.restarts`
    /// jittered extra starts; returns the lowest optimum found.
    static func minimise(_ f: Objective, starts: [[Double]], options: MaximumLikelihoodOptions) -> Result {
        precondition(!starts.isEmpty, "at least one start")
        var best: Result?
        var iterations = 0, evaluations = 0
        func consider(_ r: Result) {
            iterations += r.iterations
            evaluations += r.evaluations
            guard r.value.isFinite else { return }
            if let b = best {
                if (r.converged && !b.converged) || (r.converged == b.converged && r.value < b.value) { best = r }
            } else {
                best = r
            }
        }
        for s in starts {
            consider(run(f, start: s, options: options))
            if best?.converged == true { break }
        }
        if options.restarts > 0 {
            var rng = SeededGenerator(seed: 0x5EED_C1_0)
            for _ in 0..<options.restarts {
                let s = starts[0].map { $0 + 2 * rng.nextUnit() - 1 }
                consider(run(f, start: s, options: options))
            }
        }
        var r = best ?? Result(x: starts[0], value: .nan, gradient: starts[0].map { _ in .nan }, hessian: nil,
                               iterations: 0, evaluations: 0, converged: false)
        r.iterations = iterations
        r.evaluations = evaluations
        return r
    }

    /// One start: L-BFGS to `gradientTolerance`, then Newton polishing.
    static func run(_ f: Objective, start: [Double], options: MaximumLikelihoodOptions) -> Result {
        var state = lbfgs(f, start: start, options: options)
        guard state.value.isFinite else { return state }
        newtonPolish(f, &state, tolerance: options.gradientTolerance)
        return state
    }

    @inline(__always) static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += a[i] * b[i] }
        return s
    }

    @inline(__always) static func maxAbs(_ a: [Double]) -> Double { a.reduce(0) { max($0, abs($1)) } }

    /// Limited-memory BFGS (memory 8) with a weak-Wolfe bisection line search (Lewis & Overton).
    static func lbfgs(_ f: Objective, start: [Double], options: MaximumLikelihoodOptions) -> Result {
        let n = start.count
        var x = start
        var g = [Double](repeating: 0, count: n)
        var evaluations = 1
        var fx = f(x, &g)
        if !fx.isFinite || !g.allSatisfy(\.isFinite) {
            return Result(x: x, value: .nan, gradient: g, hessian: nil, iterations: 0, evaluations: 1, converged: false)
        }
        let memory = 8
        var sList = [[Double]](), yList = [[Double]](), rhoList = [Double]()
        var iterations = 0
        var converged = false
        var stalls = 0
        while iterations < options.maxIterations {
            if maxAbs(g) <= options.gradientTolerance { converged = true; break }
            iterations += 1
            // Two-loop recursion: d = −H·g.
            var q = g
            var alphas = [Double](repeating: 0, count: sList.count)
            for i in stride(from: sList.count - 1, through: 0, by: -1) {
                alphas[i] = rhoList[i] * dot(sList[i], q)
                for j in 0..<n { q[j] -= alphas[i] * yList[i][j] }
            }
            if let s = sList.last, let y = yList.last {
                let gamma = dot(s, y) / dot(y, y)
                for j in 0..<n { q[j] *= gamma }
            } else {
                let scale = 1 / max(1, maxAbs(g))   // first step moves a log-parameter by at most 1
                for j in 0..<n { q[j] *= scale }
            }
            for i in 0..<sList.count {
                let beta = rhoList[i] * dot(yList[i], q)
                for j in 0..<n { q[j] += sList[i][j] * (alphas[i] - beta) }
            }
            var d = q.map { -$0 }
            if dot(g, d) >= 0 || !d.allSatisfy(\.isFinite) {
                sList.removeAll(); yList.removeAll(); rhoList.removeAll()
                let scale = 1 / max(1, maxAbs(g))
                d = g.map { -$0 * scale }
            }
            // Keep a single step within ±5 on the log scale (a factor of 150 in a parameter).
            let dmax = maxAbs(d)
            if dmax > 5 { d = d.map { $0 * 5 / dmax } }
            guard let step = lineSearch(f, x: x, fx: fx, g: g, d: d, evaluations: &evaluations) else {
                if sList.isEmpty { break }
                sList.removeAll(); yList.removeAll(); rhoList.removeAll()
                continue
            }
            let s = (0..<n).map { step.x[$0] - x[$0] }
            let y = (0..<n).map { step.g[$0] - g[$0] }
            let sy = dot(s, y)
            if sy > 1e-12 * (dot(s, s).squareRoot() * dot(y, y).squareRoot()) {
                sList.append(s); yList.append(y); rhoList.append(1 / sy)
                if sList.count > memory { sList.removeFirst(); yList.removeFirst(); rhoList.removeFirst() }
            }
            stalls = (fx - step.f <= 1e-15 * max(1, abs(fx))) ? stalls + 1 : 0
            x = step.x; fx = step.f; g = step.g
            if stalls >= 3 { break }   // no measurable progress: leave the rest to Newton
        }
        return Result(x: x, value: fx, gradient: g, hessian: nil, iterations: iterations,
                      evaluations: evaluations, converged: converged)
    }

    /// Weak-Wolfe line search by bisection/expansion (c₁ = 1e-4, c₂ = 0.9). Returns the accepted point,
    /// or the last point with sufficient decrease, or nil.
    static func lineSearch(_ f: Objective, x: [Double], fx: Double, g: [Double], d: [Double],
                           evaluations: inout Int) -> (x: [Double], f: Double, g: [Double])? {
        let c1 = 1e-4, c2 = 0.9
        let dg0 = dot(g, d)
        var lo = 0.0, hi = Double.infinity, t = 1.0
        var fallback: (x: [Double], f: Double, g: [Double])?
        var gn = [Double](repeating: 0, count: x.count)
        let dmax = maxAbs(d)
        for _ in 0..<60 {
            let xn = (0..<x.count).map { x[$0] + t * d[$0] }
            evaluations += 1
            let fn = f(xn, &gn)
            let finite = fn.isFinite && gn.allSatisfy(\.isFinite)
            if !finite || fn > fx + c1 * t * dg0 {
                hi = t
            } else if dot(gn, d) < c2 * dg0 {
                lo = t
                fallback = (xn, fn, gn)
            } else {
                return (xn, fn, gn)
            }
            if hi.isFinite {
                t = 0.5 * (lo + hi)
            } else {
                t = 2 * lo
                if t * dmax > 20 { break }
            }
        }
        return fallback
    }

    /// Newton steps on a central-difference Hessian until the step is negligible; stores the Hessian
    /// at the final point and sets `converged` when the Newton step is below 1e-8 (or the gradient
    /// below tolerance) with a positive-definite Hessian.
    static func newtonPolish(_ f: Objective, _ state: inout Result, tolerance: Double) {
        let n = state.x.count
        var g = state.gradient
        for _ in 0..<8 {
            guard let h = hessian(f, at: state.x, evaluations: &state.evaluations) else { break }
            state.hessian = h
            var factor = h
            guard BLAS.potrf(&factor, n: n) == 0 else { break }   // not positive definite: keep L-BFGS's point
            var step = g.map { -$0 }
            guard BLAS.potrs(factor, n: n, &step) == 0, step.allSatisfy(\.isFinite) else { break }
            let size = maxAbs(step)
            if size < 1e-8 || maxAbs(g) <= tolerance * 1e-3 { state.converged = true }
            if size < 1e-10 { break }
            // Accept the step if the objective does not get worse beyond rounding.
            var t = 1.0
            var accepted = false
            var gn = [Double](repeating: 0, count: n)
            for _ in 0..<20 {
                let xn = (0..<n).map { state.x[$0] + t * step[$0] }
                state.evaluations += 1
                let fn = f(xn, &gn)
                if fn.isFinite, gn.allSatisfy(\.isFinite), fn <= state.value + 1e-13 * max(1, abs(state.value)) {
                    state.x = xn; state.value = fn; g = gn; accepted = true
                    break
                }
                t *= 0.5
            }
            state.iterations += 1
            if !accepted { break }
            state.gradient = g
            if size < 1e-8 {
                // The Hessian from before this tiny step is the Hessian at the optimum to ~1e-8.
                break
            }
            state.converged = false
        }
        if maxAbs(state.gradient) <= tolerance, state.hessian != nil {
            var factor = state.hessian!
            if BLAS.potrf(&factor, n: n) == 0 { state.converged = true }
        }
    }

    /// Hessian of `f` at `x` by central differences of its gradient (step 1e-4 on the log scale),
    /// symmetrised. Nil if any evaluation is not finite.
    static func hessian(_ f: Objective, at x: [Double], evaluations: inout Int) -> [Double]? {
        let n = x.count
        let h = 1e-4
        var hess = [Double](repeating: 0, count: n * n)
        var gp = [Double](repeating: 0, count: n), gm = gp
        for j in 0..<n {
            var xp = x, xm = x
            xp[j] += h; xm[j] -= h
            let fp = f(xp, &gp), fm = f(xm, &gm)
            evaluations += 2
            guard fp.isFinite, fm.isFinite else { return nil }
            for i in 0..<n { hess[i * n + j] = (gp[i] - gm[i]) / (2 * h) }
        }
        for i in 0..<n { for j in 0..<i {
            let v = 0.5 * (hess[i * n + j] + hess[j * n + i])
            hess[i * n + j] = v; hess[j * n + i] = v
        } }
        return hess.allSatisfy(\.isFinite) ? hess : nil
    }

    /// Standard errors of the natural parameters θ = exp(x) from the Hessian of the total negative
    /// log-likelihood in θ, obtained exactly from the log-scale one by the chain rule:
    /// ∂²/∂θᵢ∂θⱼ = (Hᵢⱼ − δᵢⱼ gᵢ) / (θᵢ θⱼ), times the total weight N; inverted by Cholesky (LAPACK
    /// `dpotrf`/`dpotri`). Nil when that Hessian is not positive definite.
    static func standardErrors(_ r: Result, totalWeight: Double) -> [Double]? {
        guard let h = r.hessian else { return nil }
        let n = r.x.count
        let theta = r.x.map { exp($0) }
        var hn = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n {
            hn[i * n + j] = totalWeight * (h[i * n + j] - (i == j ? r.gradient[i] : 0)) / (theta[i] * theta[j])
        } }
        var factor = hn
        guard BLAS.potrf(&factor, n: n) == 0 else { return nil }
        let (inv, info) = BLAS.potri(factor, n: n)
        guard info == 0 else { return nil }
        let se = (0..<n).map { inv[$0 * n + $0].squareRoot() }
        return se.allSatisfy(\.isFinite) ? se : nil
    }
}
