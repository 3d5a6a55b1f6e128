import RetainCore
/// Per-customer repeat-purchase statistics, the input of the buy-till-you-die models.
///
/// One entry per customer (or per group of identical customers, with a weight):
/// - `frequency` x: number of repeat purchases (whole number ≥ 0; the first purchase is not counted),
/// - `recency` tₓ: time from the first to the last purchase (0 when x = 0),
/// - `age` T: time from the first purchase to the end of the calibration period,
/// all in `timeUnit`. Invariants checked by `init`: 0 ≤ tₓ ≤ T, tₓ = 0 when x = 0, finite values,
/// weights > 0.
public struct RFMData: Sendable, Equatable {
    /// Repeat purchases x per customer.
    public let frequency: [Double]
    /// Time of the last purchase since the first, tₓ, in `timeUnit`.
    public let recency: [Double]
    /// Time from the first purchase to the end of calibration, T, in `timeUnit`.
    public let age: [Double]
    /// Number of customers each entry stands for (all 1 unless given).
    public let weights: [Double]
    /// Unit of `recency` and `age` (and of the fitted models' rates and horizons).
    public let timeUnit: TimeUnit

    /// Number of entries (rows).
    public var count: Int { frequency.count }

    /// Validates and stores the statistics.
    ///
    /// - Parameters:
    ///   - frequency: Repeat purchases x, whole numbers ≥ 0.
    ///   - recency: tₓ in `timeUnit`, 0 ≤ tₓ ≤ T, and 0 when x = 0.
    ///   - age: T in `timeUnit`, ≥ 0.
    ///   - weights: Optional count of customers per entry (> 0); default 1 each.
    ///   - timeUnit: Unit of `recency` and `age`. Default `.week`, the unit of the published analyses.
    /// - Throws: `NumericsError.dimensionMismatch`, `.tooFewRows` (empty), `.nonFinite`, or
    ///   `.invalidParameter` naming the first offending row (rows counted from 1).
    /// - Complexity: O(n).
    public init(frequency: [Double], recency: [Double], age: [Double], weights: [Double]? = nil,
                timeUnit: TimeUnit = .week) throws {
        let n = frequency.count
        guard recency.count == n, age.count == n, weights.map({ $0.count == n }) ?? true else {
            throw NumericsError.dimensionMismatch(
                "RFM columns differ in length: frequency \(n), recency \(recency.count), age \(age.count)"
                    + (weights.map { ", weights \($0.count)" } ?? "") + ". Give one value per customer in each.")
        }
        guard n > 0 else {
            throw NumericsError.tooFewRows(rows: 0, needed: 1, context: "A purchase model")
        }
        for i in 0..<n {
            let x = frequency[i], tx = recency[i], t = age[i]
            if !x.isFinite { throw NumericsError.nonFinite(row: i, column: 0, context: "RFM data (columns: frequency, recency, age)") }
            if !tx.isFinite { throw NumericsError.nonFinite(row: i, column: 1, context: "RFM data (columns: frequency, recency, age)") }
            if !t.isFinite { throw NumericsError.nonFinite(row: i, column: 2, context: "RFM data (columns: frequency, recency, age)") }
            guard x >= 0, x == x.rounded() else {
                throw NumericsError.invalidParameter(
                    name: "frequency", value: "\(x)",
                    reason: "row \(i + 1): frequency counts repeat purchases and must be a whole number >= 0.")
            }
            guard t >= 0 else {
                throw NumericsError.invalidParameter(
                    name: "age T", value: "\(t)",
                    reason: "row \(i + 1): age is the time since the first purchase and cannot be negative. Check the calibration end date.")
            }
            guard tx >= 0 else {
                throw NumericsError.invalidParameter(
                    name: "recency", value: "\(tx)",
                    reason: "row \(i + 1): recency is the time from the first to the last purchase and cannot be negative.")
            }
            guard tx <= t else {
                throw NumericsError.invalidParameter(
                    name: "recency", value: "\(tx)",
                    reason: "row \(i + 1): recency is greater than age T = \(t); the last purchase cannot come after the end of the calibration period. Measure both from the first purchase, in the same unit.")
            }
            guard x > 0 || tx == 0 else {
                throw NumericsError.invalidParameter(
                    name: "recency", value: "\(tx)",
                    reason: "row \(i + 1): a customer with frequency 0 has no repeat purchase, so recency must be 0.")
            }
        }
        if let w = weights {
            for i in 0..<n where !(w[i] > 0 && w[i].isFinite) {
                throw NumericsError.invalidParameter(
                    name: "weight", value: "\(w[i])",
                    reason: "row \(i + 1): weights count customers and must be finite and > 0. Drop rows with weight 0.")
            }
        }
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.weights = weights ?? [Double](repeating: 1, count: n)
        self.timeUnit = timeUnit
    }

    /// Total weight (number of customers).
    public var customerCount: Double { weights.reduce(0, +) }

    /// The same customers with recency and age expressed in `unit`.
    public func converted(to unit: TimeUnit) -> RFMData {
        if unit == timeUnit { return self }
        let f = timeUnit.convert(1, to: unit)
        return RFMData(unchecked: frequency, recency.map { $0 * f }, age.map { $0 * f }, weights, unit)
    }

    init(unchecked frequency: [Double], _ recency: [Double], _ age: [Double], _ weights: [Double], _ unit: TimeUnit) {
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.weights = weights
        self.timeUnit = unit
    }
}

/// RFM rows with identical (x, tₓ, T) merged (weights summed), for the likelihood passes.
///
/// When the merged rows share few distinct tₓ and T values (daily or weekly data: CDNOW's 2,357
/// customers make 1,016 rows over 273 distinct tₓ and 84 distinct T) those values are also
/// tabulated, rows are ordered by tₓ, and a likelihood pass computes each logarithm once per
/// distinct value with sequential table reads; with continuous times it computes them per row.
struct CompressedRFM {
    /// Per merged row: frequency, recency, age, weight.
    let x: [Double]
    let tx: [Double]
    let age: [Double]
    let weight: [Double]
    /// Distinct frequencies, ascending, and each row's index into them.
    let xValues: [Int]
    let xIndex: [Int32]
    /// Whether `txValues`/`ageValues` and their indices are filled.
    let tabulated: Bool
    let txValues: [Double]
    let txIndex: [Int32]
    let ageValues: [Double]
    let ageIndex: [Int32]
    /// Sum of weights.
    let totalWeight: Double

    var rowCount: Int { weight.count }

    init(_ data: RFMData) {
        let n = data.count
        // 1. Merge identical rows with an open-addressing hash on the bit patterns of (x, tₓ, T).
        var capacity = 16
        while capacity < 2 * n { capacity <<= 1 }
        let mask = capacity - 1
        var slots = [Int32](repeating: -1, count: capacity)
        var rx = [Double](), rtx = [Double](), rt = [Double](), rw = [Double]()
        data.frequency.withUnsafeBufferPointer { fq in
        data.recency.withUnsafeBufferPointer { rc in
        data.age.withUnsafeBufferPointer { ag in
        data.weights.withUnsafeBufferPointer { wt in
            for i in 0..<n {
                let a = fq[i], b = rc[i] + 0, c = ag[i] + 0   // + 0 folds −0 into +0
                var h = a.bitPattern &* 0x9E37_79B9_7F4A_7C15
                h = (h ^ (h >> 29) ^ b.bitPattern) &* 0xBF58_476D_1CE4_E5B9
                h = (h ^ (h >> 31) ^ c.bitPattern) &* 0x94D0_49BB_1331_11EB
                h ^= h >> 32
                var s = Int(truncatingIfNeeded: h) & mask
                while true {
                    let k = slots[s]
                    if k < 0 {
                        slots[s] = Int32(rx.count)
                        rx.append(a); rtx.append(b); rt.append(c); rw.append(wt[i])
                        break
                    }
                    let j = Int(k)
                    if rx[j] == a && rtx[j] == b && rt[j] == c { rw[j] += wt[i]; break }
                    s = (s + 1) & mask
                }
            }
        } } } }
        let m = rx.count
        // 2. Order rows by (tₓ, T) and count distinct values.
        var order = Array(0..<m)
        order.sort { rtx[$0] != rtx[$1] ? rtx[$0] < rtx[$1] : rt[$0] < rt[$1] }
        let sx = order.map { rx[$0] }, stx = order.map { rtx[$0] }, st = order.map { rt[$0] }, sw = order.map { rw[$0] }
        var txv = [Double](), txi = [Int32](repeating: 0, count: m)
        for i in 0..<m {
            if txv.last != stx[i] { txv.append(stx[i]) }
            txi[i] = Int32(txv.count - 1)
        }
        var tv = [Double](), ti = [Int32]()
        var tab = txv.count <= m / 2 || m < 64
        if tab {
            tv = Array(Set(st)).sorted()
            tab = tv.count <= m / 2 || m < 64
            if tab {
                let pos = Dictionary(uniqueKeysWithValues: tv.enumerated().map { ($1, Int32($0)) })
                ti = st.map { pos[$0]! }
            }
        }
        var maxX = 0
        for v in sx { maxX = max(maxX, Int(v)) }
        var seen = [Bool](repeating: false, count: maxX + 1)
        for v in sx { seen[Int(v)] = true }
        let xs = (0...maxX).filter { seen[$0] }
        var xPos = [Int32](repeating: 0, count: maxX + 1)
        for (k, v) in xs.enumerated() { xPos[v] = Int32(k) }
        x = sx; tx = stx; age = st; weight = sw
        xValues = xs
        xIndex = sx.map { xPos[Int($0)] }
        tabulated = tab
        txValues = tab ? txv : []
        txIndex = tab ? txi : []
        ageValues = tab ? tv : []
        ageIndex = tab ? ti : []
        totalWeight = sw.reduce(0, +)
    }
}
