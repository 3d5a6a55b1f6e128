import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// The per-row part of scoring, block by block: universe, probability, value, segment, reasons and
/// flags. Blocks may arrive in any order and on several threads; `finish()` joins them in block
/// order, sets tiers and the flags from the bundle's fixed cut-offs, and ranks the win-back candidates.
final class ScoringPass: @unchecked Sendable {
    /// One block's results, `rows` long (reasons `rows × reasonCount`).
    struct BlockScores {
        var ids: [String] = []
        var prob: [Double] = [], value: [Double] = [], alive: [Double] = [], recency: [Double] = []
        var lifecycle: [Lifecycle?] = []
        var segment: [Int32] = [], flags: [ScoreFlags] = []
        var reasonCodes: [Int32] = [], reasonValues: [Double] = []
    }

    let scorer: Scorer
    let width: Int
    let q: Int
    let cols: [Int]
    let segCols: [Int]?
    let sum90Col: Int?, npsCol: Int?, tenureCol: Int?, universeCol: Int?
    let trained: [BinnedDistribution?]
    /// Feature drift is counted on rows whose sample position is a multiple of this.
    let driftStride: Int
    // Unchecked copies of the per-feature constants for the innermost loop (freed in deinit).
    let impute: UnsafeMutableBufferPointer<Double>, logs: UnsafeMutableBufferPointer<Bool>
    let mean: UnsafeMutableBufferPointer<Double>, weight: UnsafeMutableBufferPointer<Double>
    let colP: UnsafeMutableBufferPointer<Int>, logTable: UnsafeMutableBufferPointer<Double>
    let edgeStart: [Int], edgeCount: [Int], edgeFlat: [Double]
    /// Whether the bundle has a training distribution for each model feature.
    let hasDrift: [Bool]

    private let lock = NSLock()
    private var blocks: [Int: BlockScores] = [:]
    private var driftCounts: [[Double]]

    /// - Parameters:
    ///   - names: The input's column names (row-major rows of this width).
    ///   - expectedRows: About how many rows will come (sets the drift sample's stride).
    init(scorer: Scorer, names: [String], expectedRows: Int) throws {
        self.scorer = scorer
        let bundle = scorer.bundle, feats = bundle.features
        width = names.count
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func columns(_ wanted: [String], model: String) throws -> [Int] {
            let missing = wanted.filter { index[$0] == nil }
            guard missing.isEmpty else { throw ScoringError.missingFeatures(model: model, names: missing) }
            return wanted.map { index[$0]! }
        }
        cols = try columns(feats.map(\.name), model: scorer.modelName)
        segCols = try scorer.segments.map { try columns($0.features.map(\.name), model: scorer.modelName + " segments") }
        q = cols.count
        sum90Col = index["sum_purchase_90d"]; universeCol = index["in_universe"]
        npsCol = index["nps_last"]; tenureCol = index["tenure_days"]
        trained = bundle.trainingDistribution.map { td in
            let byName = Dictionary(td.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return feats.map { byName[$0.name] }
        } ?? []
        driftStride = max(1, expectedRows / Scorer.driftSampleRows)
        var starts = [Int](), counts = [Int](), flat = [Double]()
        for d in trained { starts.append(flat.count); counts.append(d?.edges.count ?? 0); flat += d?.edges ?? [] }
        edgeStart = starts; edgeCount = counts; edgeFlat = flat
        hasDrift = trained.map { $0 != nil }
        driftCounts = trained.map { [Double](repeating: 0, count: ($0?.edges.count ?? 0) + 1) }
        impute = Self.unsafeCopy(feats.map(\.impute))
        logs = Self.unsafeCopy(feats.map(\.log1p))
        mean = Self.unsafeCopy(feats.map(\.mean))
        weight = Self.unsafeCopy(feats.indices.map { bundle.coefficients[$0] / feats[$0].scale })
        colP = Self.unsafeCopy(cols)
        logTable = Self.unsafeCopy(Log1pTable.table)
    }

    deinit {
        impute.deallocate(); logs.deallocate(); mean.deallocate(); weight.deallocate(); colP.deallocate(); logTable.deallocate()
    }

    private static func unsafeCopy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
        let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
        _ = b.initialize(from: a)
        return b
    }

    /// Scores `rowCount` rows at `x` (row-major, `width` wide) as block `block`.
    ///
    /// - Parameter samplePosition: The first row's position for the drift sample (rows at a multiple
    ///   of the stride are counted), so the sample does not depend on how the rows were cut.
    ///   - ids: The rows' customer ids; nil: numbered 1, 2, ... in file order by `finish()`.
    ///   - lifecycle: The rows' lifecycle states (nil: not known; then a table's `in_universe`
    ///     column, when present, tells who is outside the universe).
    ///   - ownRecencyDays: Days since each row's last own activity (nil: not known).
    ///   - universe: Whether each row is in the at-risk universe (nil: from `lifecycle`).
    func score(block: Int, x: UnsafePointer<Double>, rowCount n: Int, ids: [String]?, samplePosition: Int,
               lifecycle: [Lifecycle]?, ownRecencyDays: [Double]?, universe: [Bool]? = nil) {
        let bundle = scorer.bundle, options = scorer.options
        let r = options.reasonCount, p = width, q = q
        let intercept = bundle.intercept
        let horizonDays = bundle.value?.horizonDays ?? TimeUnit.month.convert(12, to: .day)
        let minimumTenure = bundle.value?.minimumTenureDays ?? 90
        let newTenure = options.newTenureDays
        let clv = options.clvValues, estimates = options.values
        var out = BlockScores()
        out.ids = ids ?? []
        out.prob = [Double](repeating: .nan, count: n)
        out.value = [Double](repeating: 0, count: n)
        out.alive = [Double](repeating: .nan, count: n)
        out.recency = ownRecencyDays ?? [Double](repeating: .nan, count: n)
        out.lifecycle = lifecycle ?? [Lifecycle?](repeating: nil, count: n)
        out.segment = [Int32](repeating: -1, count: n)
        out.flags = [ScoreFlags](repeating: [], count: n)
        out.reasonCodes = [Int32](repeating: -1, count: n * r)
        out.reasonValues = [Double](repeating: .nan, count: n * r)
        var best = [(Int, Double)](repeating: (-1, 0), count: r)
        var counts: [[Double]] = trained.map { [Double](repeating: 0, count: ($0?.edges.count ?? 0) + 1) }
        var std = [Double](repeating: 0, count: scorer.segments?.features.count ?? 0)
        let contribution = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(q, 1))
        defer { contribution.deallocate() }
        let imputeP = impute, logP = logs, meanP = mean, weightP = weight, colP = colP, logTableP = logTable
        // Class properties and the calibration in locals: no reference counting inside the row loop.
        let cols = cols, trained = trained, hasDrift = hasDrift, edgeStart = edgeStart, edgeCount = edgeCount, edgeFlat = edgeFlat
        let segCols = segCols, segments = scorer.segments
        let sum90Col = sum90Col, npsCol = npsCol, tenureCol = tenureCol, universeCol = universeCol, driftStride = driftStride
        let isotonic = bundle.calibrationMethod == "isotonic" ? bundle.isotonic : nil
        let platt = bundle.calibrationMethod == "platt" ? bundle.calibration : nil
        for row in 0..<n {
            let base = row * p
            // Value and flags first: every row gets them, in the universe or not.
            if let ids, let v = clv?[ids[row]] {
                out.value[row] = v
            } else if let estimates {
                if let ids, let e = estimates[ids[row]] { out.value[row] = e.value; out.alive[row] = e.probabilityAlive }
            } else if let c = sum90Col {
                // Revenue rate on a table: the last 90 days' purchase value (the minimum tenure) over the horizon.
                let v = x[base + c]
                out.value[row] = v.isNaN ? 0 : v / max(90, minimumTenure) * horizonDays
            }
            var fl: ScoreFlags = []
            if let c = npsCol {
                let nps = x[base + c]
                if !nps.isNaN { if nps <= 6 { fl.insert(.detractor) } else if nps >= 9 { fl.insert(.promoter) } }
            }
            if let c = tenureCol, x[base + c] < newTenure { fl.insert(.new) }
            out.flags[row] = fl
            if let sb = segments, let sc = segCols {
                for (k, j) in sc.enumerated() { std[k] = sb.features[k].apply(x[base + j]) }
                var bestS = -1, bestD = Double.infinity
                for (s, centre) in sb.centres.enumerated() {
                    var d = 0.0
                    for k in 0..<std.count { let t = std[k] - centre[k]; d += t * t }
                    if d < bestD { bestD = d; bestS = s }
                }
                out.segment[row] = Int32(bestS)
            }
            let inUniverse: Bool
            if let universe { inUniverse = universe[row] } else if let lifecycle { inUniverse = lifecycle[row].inUniverse } else if let c = universeCol { inUniverse = x[base + c] != 0 } else { inUniverse = true }
            guard inUniverse else { continue }  // no probability, tier, reasons or drift count
            var z = intercept
            var filled = 0
            if !trained.isEmpty && (samplePosition + row) % driftStride == 0 {
                for k in 0..<q where hasDrift[k] {
                    let raw = x[base + cols[k]]
                    let v0 = raw.isNaN ? imputeP[k] : raw
                    var lo = 0, hi = edgeCount[k]
                    let e0 = edgeStart[k]
                    while lo < hi { let mid = (lo + hi) >> 1; if v0 > edgeFlat[e0 + mid] { lo = mid + 1 } else { hi = mid } }
                    counts[k][lo] += 1
                }
            }
            // contribution_k = coef_k × (prepared x_k − mean_k) / scale_k, with coef / scale precomputed;
            // kept in a buffer, so this loop has no data-dependent branch but the log's.
            for k in 0..<q {
                let raw = x[base + colP[k]]
                var t = raw.isNaN ? imputeP[k] : raw
                if logP[k] {
                    t = max(t, 0)
                    if t < 1024, case let i = Int(t), Double(i) == t { t = logTableP[i] } else { t = Foundation.log1p(t) }
                }
                let contrib = (t - meanP[k]) * weightP[k]
                contribution[k] = contrib
                z += contrib
            }
            // The r largest positive contributions, largest first (on a tie the earlier feature first).
            if r > 0 {
                var cutoff = 0.0
                for k in 0..<q where contribution[k] > cutoff {
                    let c = contribution[k]
                    if filled < r { best[filled] = (k, c); filled += 1; insertionSort(&best, filled) }
                    else { best[r - 1] = (k, c); insertionSort(&best, r) }
                    if filled == r { cutoff = best[r - 1].1 }
                }
            }
            // = bundle.calibrate(z)
            let pr = isotonic.map { $0.apply(z) } ?? platt.map { $0.apply(z) } ?? sigmoid(z)
            out.prob[row] = pr
            for j in 0..<filled {
                let k = best[j].0
                let rawValue = x[base + colP[k]]
                // "Above average": the standardised value is positive. A reason's contribution
                // (value − mean) × coef / scale is positive, so that is the sign of coef / scale.
                let above = weightP[k] > 0
                out.reasonCodes[row * r + j] = Int32(k * 2 + (above ? 1 : 0))
                out.reasonValues[row * r + j] = rawValue
            }
        }
        lock.lock()
        blocks[block] = out
        for k in counts.indices { for b in counts[k].indices { driftCounts[k][b] += counts[k][b] } }
        lock.unlock()
    }

    /// Joins the blocks in order; sets tiers, `at_risk` (universe and p ≥ the high cut-off) and
    /// `high_value` (value > 0 and ≥ the bundle's training cut-off), flags and ranks the win-back
    /// candidates, and measures drift on the universe.
    func finish() -> Scorer.Result {
        let bundle = scorer.bundle, options = scorer.options
        let parts = blocks.keys.sorted().map { blocks[$0]! }
        blocks = [:]
        // The columns are joined in parallel (independent copies).
        let joins = Joined()
        DispatchQueue.concurrentPerform(iterations: 10) { column in
            switch column {
            case 0: joins.prob = Self.join(parts, \.prob)
            case 1: joins.ids = Self.join(parts, \.ids)
            case 2: joins.value = Self.join(parts, \.value)
            case 3: joins.alive = Self.join(parts, \.alive)
            case 4: joins.segment = Self.join(parts, \.segment)
            case 5: joins.reasonCodes = Self.join(parts, \.reasonCodes)
            case 6: joins.reasonValues = Self.join(parts, \.reasonValues)
            case 7: joins.recency = Self.join(parts, \.recency)
            case 8: joins.lifecycle = Self.join(parts, \.lifecycle)
            default: joins.flags = Self.join(parts, \.flags)
            }
        }
        let prob = joins.prob, value = joins.value
        var flags = joins.flags
        let n = prob.count
        if joins.ids.count != n { joins.ids = (0..<n).map { String($0 + 1) } }  // no id column: row numbers
        let high = options.highThreshold ?? bundle.thresholds.high
        let medium = options.mediumThreshold ?? bundle.thresholds.medium
        var notes: [String] = []
        let valueCut: Double?
        if let cut = options.highValueCut ?? bundle.value?.highValueCut {
            valueCut = cut
        } else {
            valueCut = Scorer.topCut(value, fraction: options.fallbackHighValueFraction)
            notes.append(String(format: "note: the model has no value model (trained before values were stored, or on a table), so high_value is the top %g %% of this run's values, which depends on who is scored; retrain to fix the cut-off.", 100 * options.fallbackHighValueFraction))
        }
        let drift = Drift.report(bundle: bundle, featureCounts: driftCounts, scores: prob.filter { !$0.isNaN })
        var tiers = [RiskTier?](repeating: nil, count: n)
        var candidates: [Int] = []
        for row in 0..<n {
            let pr = prob[row], v = value[row]
            if v > 0, let vc = valueCut, v >= vc { flags[row].insert(.highValue) }
            if !pr.isNaN {
                if pr >= high { flags[row].insert(.atRisk) }
                tiers[row] = pr >= high ? .high : pr >= medium ? .medium : .low
            } else if let l = joins.lifecycle[row], l == .lapsed || l == .churned, v > 0 {
                flags[row].insert(.winBack)
                candidates.append(row)
            }
        }
        let lifecycles = joins.lifecycle
        let ranks = Self.winbackRanks(candidates, value: value, alive: joins.alive, recency: joins.recency,
                                      churned: { lifecycles[$0] == .churned }, count: n)
        // P(alive) comes from purchases alone: a customer who cancelled is not "alive" whatever it says.
        var alive = joins.alive
        for row in 0..<n where lifecycles[row] == .churned { alive[row] = .nan }
        let batch = ScoreBatch(customerIDs: joins.ids, churnProbability: prob, riskTier: tiers, predictedValue: value,
                               lifecycle: joins.lifecycle, probabilityAlive: alive, winbackRank: ranks,
                               segmentIndex: joins.segment, segmentNames: scorer.segments?.segments.map(\.name) ?? [], flags: flags,
                               reasonCount: options.reasonCount, reasonCodes: joins.reasonCodes, reasonValues: joins.reasonValues,
                               reasonTemplates: bundle.features.map { ReasonCodes.Template(feature: $0.name) })
        return Scorer.Result(batch: batch, drift: drift, notes: notes)
    }

    /// Ranks 1…m of the win-back candidates (0 for everyone else): lapsed customers first (they
    /// never said they were leaving), then churned ones (they cancelled).
    ///
    /// Lapsed: by predicted value, highest first, when the purchase model gives P(alive) (its value
    /// is the expected purchases over the horizon, which already weighs in P(alive): how likely the
    /// customer is to come back times what they are worth); else by days since their own last
    /// activity (most recent first; unknown last), then value. Churned: by days since their own last
    /// activity, then value (a purchase model does not know about the cancellation). Ties keep row order.
    static func winbackRanks(_ candidates: [Int], value: [Double], alive: [Double], recency: [Double],
                             churned: (Int) -> Bool = { _ in false }, count n: Int) -> [Int32] {
        let order = candidates.enumerated().sorted { a, b in
            let i = a.element, j = b.element
            let ci = churned(i), cj = churned(j)
            if ci != cj { return !ci }
            if !ci && !alive[i].isNaN && !alive[j].isNaN {
                if value[i] != value[j] { return value[i] > value[j] }
            } else {
                let ri = recency[i].isNaN ? .infinity : recency[i], rj = recency[j].isNaN ? .infinity : recency[j]
                if ri != rj { return ri < rj }
                if value[i] != value[j] { return value[i] > value[j] }
            }
            return a.offset < b.offset
        }
        var ranks = [Int32](repeating: 0, count: n)
        for (k, c) in order.enumerated() { ranks[c.element] = Int32(k + 1) }
        return ranks
    }

    /// One column of every block, in block order.
    private static func join<T>(_ parts: [BlockScores], _ column: KeyPath<BlockScores, [T]>) -> [T] {
        var all: [T] = []
        all.reserveCapacity(parts.reduce(0) { $0 + $1[keyPath: column].count })
        for part in parts { all += part[keyPath: column] }
        return all
    }

    /// Results of the parallel steps of `finish()`; each field is written by one task.
    private final class Joined: @unchecked Sendable {
        var prob: [Double] = [], ids: [String] = [], value: [Double] = [], alive: [Double] = [], recency: [Double] = []
        var lifecycle: [Lifecycle?] = []
        var segment: [Int32] = [], reasonCodes: [Int32] = [], reasonValues: [Double] = [], flags: [ScoreFlags] = []
    }
}

/// `log1p` at the integers 0...1023, precomputed: counts and day numbers are mostly small integers,
/// and a table lookup gives `Foundation.log1p`'s result bit for bit.
enum Log1pTable {
    static let table: [Double] = (0..<1024).map { Foundation.log1p(Double($0)) }
}

@inline(__always)
private func insertionSort(_ a: inout [(Int, Double)], _ count: Int) {
    var i = count - 1
    while i > 0 && a[i].1 > a[i - 1].1 { a.swapAt(i, i - 1); i -= 1 }
}
