import Foundation
import RetainFeatures
import RetainStore

/// Rows to score: named numeric columns (row-major, NaN = missing) and one customer id per row.
/// Made from a `FeatureMatrix` built as of the scoring date, or from a prepared feature table.
public struct ScoringInput: Sendable {
    public var names: [String]
    public var customerIDs: [String]
    public var values: [Double]
    public var rowCount: Int { customerIDs.count }

    public init(names: [String], customerIDs: [String], values: [Double]) {
        self.names = names; self.customerIDs = customerIDs; self.values = values
    }

    public init(_ m: FeatureMatrix) { self.init(names: m.names, customerIDs: m.customerIDs, values: m.values) }

    /// A prepared table; rows without an id column are named by their 1-based row number.
    public init(_ t: FeatureTable) {
        self.init(names: t.columnNames, customerIDs: t.ids ?? (0..<t.rowCount).map { String($0 + 1) }, values: t.values)
    }

    /// Column index of each name, throwing `BundleError.missingFeatures` (naming `model`) for absent ones.
    func columns(_ wanted: [String], model: String) throws -> [Int] {
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = wanted.filter { index[$0] == nil }
        guard missing.isEmpty else { throw BundleError.missingFeatures(model: model, names: missing) }
        return wanted.map { index[$0]! }
    }

    func column(_ name: String) -> Int? { names.firstIndex(of: name) }
}

/// Settings of a scoring run (defaults follow DESIGN.md "Daily scoring and lists").
public struct ScoringOptions: Sendable {
    /// Risk-tier cut-offs; `nil` = the bundle's thresholds.
    public var highThreshold: Double?
    public var mediumThreshold: Double?
    /// `at_risk` also for the `topFraction` riskiest customers (`nil` = the bundle's list rule); 0 turns it off.
    public var topFraction: Double?
    /// `high_value` = the top `highValueFraction` by value at stake (ties at the cut-off included; value > 0):
    /// the CLV model's value when given, else the spend run-rate `aov_90d × purchase_frequency_per_30d`
    /// (not discounted by the churn probability, so an at-risk customer can be high-value).
    public var highValueFraction: Double = 0.1
    /// `new` = tenure below this many days.
    public var newTenureDays: Double = 30
    /// Lower bound on the churn probability in the simple CLV's expected lifespan (caps it at 1 / floor periods).
    public var probabilityFloor: Double = 1.0 / 24
    /// A fitted CLV model's value per customer (e.g. `retain clv --out`), used instead of the simple CLV where present.
    public var clvValues: [String: Double]?
    /// Reasons per customer.
    public var reasonCount: Int = 3

    public init() {}
}

/// One customer's score before the action rules run.
public struct CustomerScore: Sendable, Equatable {
    public var customerID: String
    public var churnProbability: Double
    public var riskTier: String
    public var predictedValue: Double
    public var segment: String
    public var flags: [String]
    public var reasons: [String]
    public var action: String = "none"
}

/// Scores customers with a churn bundle (and optionally a segment bundle).
///
/// Per row: churn probability = calibration(intercept + Σ coefficient × standardised feature);
/// risk tier `high` (≥ high cut-off), `medium` (≥ medium), else `low`; predicted value (simple CLV
/// below, or the given CLV model's value); segment = nearest centre of the segment bundle in its
/// standardised space; flags `at_risk`, `high_value`, `detractor`, `promoter`, `new`; and reasons.
///
/// Simple CLV (until a CLV model is given):
/// `value = aov_90d × purchase_frequency_per_30d × (horizon / 30) / max(p, floor)` where `p` is the
/// churn probability over the model's horizon (so `1 / p` is the expected number of horizons the
/// customer stays, geometric lifetime) and `floor` = 1/24 caps the lifespan at 24 horizons.
/// Reading: average order value × purchases per month × expected lifetime in months. A missing
/// `aov_90d` (no order in 90 days) or frequency counts as 0 (value 0); when the columns are
/// absent from the input every value is 0.
public struct Scorer: Sendable {
    public let bundle: ModelBundle
    public let segments: SegmentBundle?
    public var options: ScoringOptions
    /// Name used in error messages.
    public var modelName: String

    public init(bundle: ModelBundle, segments: SegmentBundle? = nil, options: ScoringOptions = ScoringOptions(), modelName: String = "model") {
        self.bundle = bundle; self.segments = segments; self.options = options; self.modelName = modelName
    }

    /// The scores and, when the bundle stores a training distribution, the drift of this population.
    public struct Result: Sendable {
        /// One row per customer, actions not yet set (`ActionRules.apply(to:)`).
        public var batch: ScoreBatch
        public var drift: DriftReport?
    }

    /// Feature drift is measured on at most this many rows (every k-th row); the score's on all rows.
    public static let driftSampleRows = 100_000

    /// Every extra column the scorer reads when present (value, flags).
    public static let extraColumns = ["aov_90d", "purchase_frequency_per_30d", "nps_last", "tenure_days"]

    /// Columns a prepared table needs (model and segment features) plus the optional extras.
    public func wantedColumns() -> [String] {
        var seen = Set<String>(), out: [String] = []
        for n in bundle.features.map(\.name) + (segments?.features.map(\.name) ?? []) + Self.extraColumns where seen.insert(n).inserted { out.append(n) }
        return out
    }

    public func score(_ m: FeatureMatrix) throws -> Result { try score(ScoringInput(m)) }

    /// Scores every row.
    ///
    /// - Throws: `BundleError.missingFeatures` when the input lacks a model (or segment) feature.
    public func score(_ input: ScoringInput) throws -> Result {
        let n = input.rowCount, p = input.names.count
        let cols = try input.columns(bundle.features.map(\.name), model: modelName)
        let segCols = try segments.map { try input.columns($0.features.map(\.name), model: modelName + " segments") }
        let q = cols.count
        let high = options.highThreshold ?? bundle.thresholds.high
        let medium = options.mediumThreshold ?? bundle.thresholds.medium
        let feats = bundle.features, coef = bundle.coefficients, intercept = bundle.intercept
        let aovCol = input.column("aov_90d"), freqCol = input.column("purchase_frequency_per_30d")
        let npsCol = input.column("nps_last"), tenureCol = input.column("tenure_days")
        let periods = Double(bundle.churn.horizonDays) / 30
        let floor = options.probabilityFloor

        var prob = [Double](repeating: 0, count: n)
        var value = [Double](repeating: 0, count: n)
        var stake = [Double](repeating: 0, count: n)
        var segment = [Int32](repeating: -1, count: n)
        var flags = [ScoreFlags](repeating: [], count: n)
        let r = options.reasonCount
        var reasonCodes = [Int32](repeating: -1, count: n * r)
        var reasonValues = [Double](repeating: .nan, count: n * r)
        // Drift: bin counts of the model features (on a row sample), per chunk then merged.
        let trained: [BinnedDistribution?] = bundle.trainingDistribution.map { td in
            let byName = Dictionary(td.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return feats.map { byName[$0.name] }
        } ?? []
        let stride = max(1, n / Self.driftSampleRows)
        // Plain arrays for the hot loop (no struct copies, no reference counting per element).
        let fImpute = feats.map(\.impute), fLog = feats.map(\.log1p), fMean = feats.map(\.mean)
        let fWeight = feats.indices.map { coef[$0] / feats[$0].scale }
        let hasDrift = trained.map { $0 != nil }
        var edgeStart = [Int](), edgeCount = [Int](), edgeFlat = [Double]()
        for d in trained { edgeStart.append(edgeFlat.count); edgeCount.append(d?.edges.count ?? 0); edgeFlat += d?.edges ?? [] }
        var driftCounts: [[Double]] = trained.map { [Double](repeating: 0, count: ($0?.edges.count ?? 0) + 1) }
        let lock = NSLock()
        let clv = options.clvValues
        let values = input.values
        let ids = input.customerIDs
        let newTenure = options.newTenureDays
        // Unchecked copies for the innermost loop.
        nonisolated(unsafe) let imputeP = Self.unsafeCopy(fImpute), logP = Self.unsafeCopy(fLog), meanP = Self.unsafeCopy(fMean)
        nonisolated(unsafe) let weightP = Self.unsafeCopy(fWeight), colP = Self.unsafeCopy(cols), logTableP = Self.unsafeCopy(Log1pTable.table)
        defer { imputeP.deallocate(); logP.deallocate(); meanP.deallocate(); weightP.deallocate(); colP.deallocate(); logTableP.deallocate() }

        // Rows in parallel chunks; each chunk writes only its own slice.
        let chunk = 4096
        let chunks = (n + chunk - 1) / chunk
        prob.withUnsafeMutableBufferPointer { probB in value.withUnsafeMutableBufferPointer { valB in stake.withUnsafeMutableBufferPointer { stB in
        segment.withUnsafeMutableBufferPointer { segB in reasonCodes.withUnsafeMutableBufferPointer { reaB in flags.withUnsafeMutableBufferPointer { flB in
        reasonValues.withUnsafeMutableBufferPointer { rawB in values.withUnsafeBufferPointer { xB in
            nonisolated(unsafe) let probP = probB.baseAddress, valP = valB.baseAddress, stP = stB.baseAddress, segP = segB.baseAddress
            nonisolated(unsafe) let reaP = reaB.baseAddress, rawP = rawB.baseAddress, flP = flB.baseAddress
            nonisolated(unsafe) let x = xB.baseAddress!
            DispatchQueue.concurrentPerform(iterations: max(chunks, 1)) { c in
                guard n > 0 else { return }
                var best = [(Int, Double)](repeating: (-1, 0), count: r)
                var counts: [[Double]] = trained.map { [Double](repeating: 0, count: ($0?.edges.count ?? 0) + 1) }
                var std = [Double](repeating: 0, count: segments?.features.count ?? 0)
                for row in (c * chunk)..<min(n, (c + 1) * chunk) {
                    let base = row * p
                    var z = intercept
                    var filled = 0
                    let sampled = !trained.isEmpty && row % stride == 0
                    if sampled {
                        for k in 0..<q where hasDrift[k] {
                            let raw = x[base + cols[k]]
                            let v0 = raw.isNaN ? fImpute[k] : raw
                            var lo = 0, hi = edgeCount[k]
                            let e0 = edgeStart[k]
                            while lo < hi { let mid = (lo + hi) >> 1; if v0 > edgeFlat[e0 + mid] { lo = mid + 1 } else { hi = mid } }
                            counts[k][lo] += 1
                        }
                    }
                    // contribution_k = coef_k × (prepared x_k − mean_k) / scale_k, with coef / scale precomputed.
                    for k in 0..<q {
                        var t = x[base + colP[k]]
                        if t.isNaN { t = imputeP[k] }
                        if logP[k] {
                            t = max(t, 0)
                            if t < 1024, case let i = Int(t), Double(i) == t { t = logTableP[i] } else { t = Foundation.log1p(t) }
                        }
                        let contrib = (t - meanP[k]) * weightP[k]
                        z += contrib
                        if contrib > 0 && r > 0 {
                            if filled < r { best[filled] = (k, contrib); filled += 1; insertionSort(&best, filled) }
                            else if contrib > best[r - 1].1 { best[r - 1] = (k, contrib); insertionSort(&best, r) }
                        }
                    }
                    let pr = bundle.calibrate(z)
                    probP![row] = pr
                    for j in 0..<r where j < filled {
                        let k = best[j].0
                        let rawValue = x[base + cols[k]]
                        // "Above average" is the standardised value's sign (the missing value is imputed first).
                        let above = feats[k].apply(rawValue) > 0
                        reaP![row * r + j] = Int32(k * 2 + (above ? 1 : 0)); rawP![row * r + j] = rawValue
                    }
                    if let v = clv?[ids[row]] {
                        valP![row] = v; stP![row] = v
                    } else if let a = aovCol, let f = freqCol {
                        let aov = x[base + a], freq = x[base + f]
                        let rate = aov.isNaN || freq.isNaN ? 0 : aov * freq
                        valP![row] = rate * periods / max(pr, floor)
                        stP![row] = rate
                    }
                    var fl: ScoreFlags = []
                    if let c = npsCol {
                        let nps = x[base + c]
                        if !nps.isNaN { if nps <= 6 { fl.insert(.detractor) } else if nps >= 9 { fl.insert(.promoter) } }
                    }
                    if let c = tenureCol, x[base + c] < newTenure { fl.insert(.new) }
                    flP![row] = fl
                    if let sb = segments, let sc = segCols {
                        for (k, j) in sc.enumerated() { std[k] = sb.features[k].apply(x[base + j]) }
                        var bestS = -1, bestD = Double.infinity
                        for (s, centre) in sb.centres.enumerated() {
                            var d = 0.0
                            for k in 0..<std.count { let t = std[k] - centre[k]; d += t * t }
                            if d < bestD { bestD = d; bestS = s }
                        }
                        segP![row] = Int32(bestS)
                    }
                }
                if !trained.isEmpty {
                    lock.lock()
                    for k in counts.indices { for b in counts[k].indices { driftCounts[k][b] += counts[k][b] } }
                    lock.unlock()
                }
            }
        } } } } } } } }

        // Population cut-offs: top fraction of risk, top fraction of value.
        let topFraction = options.topFraction ?? bundle.thresholds.topFraction
        let riskCut = Self.topCut(prob, fraction: topFraction)
        let valueCut = Self.topCut(stake, fraction: options.highValueFraction)
        var tiers = [RiskTier](repeating: .low, count: n)
        for row in 0..<n {
            let pr = prob[row], st = stake[row]
            if pr >= high || (riskCut.map { pr >= $0 } ?? false) { flags[row].insert(.atRisk) }
            if st > 0, let vc = valueCut, st >= vc { flags[row].insert(.highValue) }
            tiers[row] = pr >= high ? .high : pr >= medium ? .medium : .low
        }
        let batch = ScoreBatch(customerIDs: ids, churnProbability: prob, riskTier: tiers, predictedValue: value,
                               segmentIndex: segment, segmentNames: segments?.segments.map(\.name) ?? [], flags: flags,
                               reasonCount: r, reasonCodes: reasonCodes, reasonValues: reasonValues,
                               reasonTemplates: feats.map { ReasonCodes.Template(feature: $0.name) })
        let drift = Drift.report(bundle: bundle, featureCounts: driftCounts, scores: prob)
        return Result(batch: batch, drift: drift)
    }

    /// A manually managed copy of `a` (deallocate it).
    private static func unsafeCopy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
        let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
        _ = b.initialize(from: a)
        return b
    }

    /// The smallest value among the top `fraction` of `v` (nil when the fraction selects nobody).
    static func topCut(_ v: [Double], fraction: Double) -> Double? {
        guard fraction > 0, !v.isEmpty else { return nil }
        let k = min(v.count, max(1, Int((fraction * Double(v.count)).rounded(.down))))
        return kthLargest(v, k)
    }

    /// The `k`-th largest of `v` (1-based; NaN sorts last), by quickselect in expected O(n).
    static func kthLargest(_ v: [Double], _ k: Int) -> Double {
        var a = v.map { $0.isNaN ? -Double.infinity : $0 }
        var lo = 0, hi = a.count - 1
        let target = k - 1  // index in descending order
        while lo < hi {
            // Median of three as the pivot, then a three-way partition: > pivot | == pivot | < pivot.
            let mid = lo + (hi - lo) / 2
            let pivot = max(min(a[lo], a[mid]), min(max(a[lo], a[mid]), a[hi]))
            var lt = lo, i = lo, gt = hi
            while i <= gt {
                if a[i] > pivot { a.swapAt(lt, i); lt += 1; i += 1 } else if a[i] < pivot { a.swapAt(i, gt); gt -= 1 } else { i += 1 }
            }
            if target < lt { hi = lt - 1 } else if target > gt { lo = gt + 1 } else { return pivot }
        }
        return a[lo]
    }

    /// Reads a `retain clv --out` CSV (or any CSV with `customer_id` and `clv` columns) into a value map.
    public static func readCLV(path: String) throws -> [String: Double] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw BundleError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        var lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        guard !lines.isEmpty else { throw BundleError.malformed(path: path, reason: "empty CLV file") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let id = header.firstIndex(of: "customer_id"), let c = header.firstIndex(of: "clv") else {
            throw BundleError.malformed(path: path, reason: "a CLV file needs customer_id and clv columns (header: \(header.joined(separator: ",")))")
        }
        var out: [String: Double] = [:]
        for (i, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > max(id, c) else { throw BundleError.malformed(path: path, reason: "line \(i + 2) has \(f.count) fields") }
            guard let v = Double(f[c].trimmingCharacters(in: .whitespaces)) else {
                if f[c].isEmpty { continue }
                throw BundleError.malformed(path: path, reason: "line \(i + 2): clv '\(f[c])' is not a number")
            }
            out[String(f[id])] = v
        }
        return out
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
