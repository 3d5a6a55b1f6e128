import Foundation
import RetainCore
/// A fitted buy-till-you-die purchase model (BG/NBD, modified BG/NBD, Pareto/NBD).
///
/// All times (`t`, recency, age) are in the model's `timeUnit`: the unit of the `RFMData` it was
/// fitted to, or the unit given to `converted(to:)`.
public protocol PurchaseModel: Sendable {
    /// Unit of every time argument and of the rate parameters.
    var timeUnit: TimeUnit { get }
    /// Maximised log-likelihood (total over customers, in `timeUnit` of the fit).
    var logLikelihood: Double { get }

    /// Expected repeat purchases in (0, t] of a new, randomly chosen customer, E[X(t)].
    func expectedPurchases(t: Double) -> Double
    /// Expected purchases in (T, T + t] of a customer with history (x, tₓ, T): E[X(t) | x, tₓ, T].
    func expectedPurchases(t: Double, frequency: Double, recency: Double, age: Double) -> Double
    /// Probability that a customer with history (x, tₓ, T) is still active at T.
    func probabilityAlive(frequency: Double, recency: Double, age: Double) -> Double
    /// The same model with its rate parameters re-expressed in `unit` (predictions unchanged).
    func converted(to unit: TimeUnit) -> Self
}

/// Settings of a purchase model fit; `fit` returns the fitted model.
public protocol PurchaseModelFitter: Sendable {
    associatedtype Fitted: PurchaseModel
    /// Fits the model to `data` by maximum likelihood.
    func fit(_ data: RFMData) throws -> Fitted
}

extension PurchaseModel {
    /// E[X(t) | x, tₓ, T] for every row of `data` (converted to this model's unit first; `t` in
    /// this model's unit).
    public func expectedPurchases(t: Double, for data: RFMData) -> [Double] {
        let d = data.converted(to: timeUnit)
        return (0..<d.count).map { expectedPurchases(t: t, frequency: d.frequency[$0], recency: d.recency[$0], age: d.age[$0]) }
    }

    /// P(alive) for every row of `data` (converted to this model's unit first).
    public func probabilityAlive(for data: RFMData) -> [Double] {
        let d = data.converted(to: timeUnit)
        return (0..<d.count).map { probabilityAlive(frequency: d.frequency[$0], recency: d.recency[$0], age: d.age[$0]) }
    }
}

/// A purchase model's likelihood over merged (x, tₓ, T) rows: all a model file gives the shared fitter.
protocol PurchaseLikelihood {
    /// Mean negative log-likelihood at log-parameters `lp`; fills `gradient` (same length).
    func evaluate(_ lp: [Double], _ gradient: inout [Double]) -> Double
}

/// The fitting machinery the purchase models share (as lifetimes' `fitters/`): the check that
/// the data identify a model, merging duplicate rows, start values, the optimiser call, standard
/// errors and diagnostics. Each model supplies its name, its starts and its likelihood.
enum PurchaseModelFitting {
    /// Fits a four-parameter purchase model to `data` by maximum likelihood.
    ///
    /// - Parameters:
    ///   - model: Name for messages ("BG/NBD").
    ///   - initial: The caller's starting parameters (natural scale), tried first.
    ///   - starts: Built-in starting parameters (natural scale) given the largest customer age,
    ///     tried in order after `initial`.
    ///   - likelihood: The model's likelihood over the merged rows.
    /// - Returns: Natural parameters in the model's order, standard errors, total
    ///   log-likelihood, customer count and diagnostics.
    /// - Throws: `NumericsError.invalidParameter` when no customer has a repeat purchase (the
    ///   dropout process is then not identified), `.diverged` when no start converges.
    static func fit<Likelihood: PurchaseLikelihood>(
        _ data: RFMData, model: String, options: MaximumLikelihoodOptions, initial: [Double]?,
        starts: (_ maxAge: Double) -> [[Double]], likelihood: (CompressedRFM) -> Likelihood
    ) throws -> MaximumLikelihoodFit {
        guard data.frequency.contains(where: { $0 > 0 }) else {
            throw NumericsError.invalidParameter(
                name: "frequency", value: "0 for every customer",
                reason: "\(model) needs some repeat purchases to estimate purchase and dropout rates. Use a longer calibration period.")
        }
        let rows = CompressedRFM(data)
        let objective = likelihood(rows)
        let maxAge = max(data.age.max() ?? 1, 1e-9)
        let logStarts = ((initial.map { [$0] } ?? []) + starts(maxAge)).map { $0.map { log($0) } }
        return try MaximumLikelihood.fit(model: model, objective: { objective.evaluate($0, &$1) }, logStarts: logStarts,
                                         options: options, totalWeight: rows.totalWeight, distinctRows: rows.rowCount)
    }

    /// Runs `body(range)` over `count` rows, summing the per-range `(value, gradient)`. From
    /// `parallelFrom` rows on, the rows are cut into 16 chunks of equal size (at least
    /// `parallelFrom / 16` rows) run on all cores, and the chunk results are summed in chunk order,
    /// so the result depends on the row count only, never on the thread count.
    static func sumChunks(count: Int, dimension: Int, parallelFrom: Int,
                          _ body: (Range<Int>, inout [Double]) -> Double) -> (Double, [Double]) {
        if count < parallelFrom {
            var g = [Double](repeating: 0, count: dimension)
            let v = body(0..<count, &g)
            return (v, g)
        }
        let ranges = Parallel.chunks(count: count, chunk: max(parallelFrom / 16, (count + 15) / 16))
        var values = [Double](repeating: 0, count: ranges.count)
        var grads = [Double](repeating: 0, count: ranges.count * dimension)
        values.withUnsafeMutableBufferPointer { vp in grads.withUnsafeMutableBufferPointer { gp in
            nonisolated(unsafe) let vp = vp, gp = gp
            Parallel.forEach(ranges.count) { c in
                var g = [Double](repeating: 0, count: dimension)
                vp[c] = body(ranges[c], &g)
                for k in 0..<dimension { gp[c * dimension + k] = g[k] }
            }
        } }
        var g = [Double](repeating: 0, count: dimension)
        var v = 0.0
        for c in 0..<ranges.count {
            v += values[c]
            for k in 0..<dimension { g[k] += grads[c * dimension + k] }
        }
        return (v, g)
    }
}
