import Foundation
import RetainCore
import RetainIO
import RetainIngest
import RetainFeatures
import RetainNumerics

/// Rows to score: named numeric columns (row-major, NaN = missing) and one customer id per row.
/// Made from a `FeatureMatrix` built as of the scoring date, or from a prepared feature table.
///
/// The at-risk universe: `lifecycle` (from the matrix) when given, else a table's `in_universe`
/// column (0 = outside, lifecycle unknown), else every row.
public struct ScoringInput: Sendable {
    public var names: [String]
    public var customerIDs: [String]
    public var values: [Double]
    /// Lifecycle of each row (empty: not known).
    public var lifecycle: [Lifecycle]
    /// Days since each row's last own activity (empty: not known; NaN: never).
    public var ownRecencyDays: [Double]
    /// Whether each row is in the at-risk universe (empty: from `lifecycle`); set from a matrix's
    /// ``FeatureMatrix/universeMask`` (a cancellation model also needs a subscription).
    public var universe: [Bool] = []
    public var rowCount: Int { customerIDs.count }

    public init(names: [String], customerIDs: [String], values: [Double], lifecycle: [Lifecycle] = [], ownRecencyDays: [Double] = []) {
        precondition(lifecycle.isEmpty || lifecycle.count == customerIDs.count, "one lifecycle per row or none")
        precondition(ownRecencyDays.isEmpty || ownRecencyDays.count == customerIDs.count, "one recency per row or none")
        self.names = names; self.customerIDs = customerIDs; self.values = values
        self.lifecycle = lifecycle; self.ownRecencyDays = ownRecencyDays
    }

    public init(_ m: FeatureMatrix) {
        self.init(names: m.names, customerIDs: m.customerIDs, values: m.values, lifecycle: m.lifecycle, ownRecencyDays: m.ownRecencyDays)
        universe = m.universeMask
    }

    /// A prepared table; rows without an id column are named by their 1-based row number.
    public init(_ t: FeatureTable) {
        self.init(names: t.columnNames, customerIDs: t.ids ?? (0..<t.rowCount).map { String($0 + 1) }, values: t.values)
    }

    /// Column index of each name, throwing `ScoringError.missingFeatures` (naming `model`) for absent ones.
    func columns(_ wanted: [String], model: String) throws -> [Int] {
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let missing = wanted.filter { index[$0] == nil }
        guard missing.isEmpty else { throw ScoringError.missingFeatures(model: model, names: missing) }
        return wanted.map { index[$0]! }
    }

    func column(_ name: String) -> Int? { names.firstIndex(of: name) }
}

/// Settings of a scoring run (defaults follow DESIGN.md "Daily scoring and lists").
///
/// No cut-off depends on who else is scored: tiers and `at_risk` use the bundle's probability
/// thresholds (or these), `high_value` the bundle's training-time value cut-off (or `highValueCut`).
public struct ScoringOptions: Sendable {
    /// Risk-tier cut-offs; `nil` = the bundle's thresholds. `at_risk` = in the universe and p ≥ high.
    public var highThreshold: Double?
    public var mediumThreshold: Double?
    /// `high_value` = value > 0 and value ≥ this; nil = the bundle's `value.highValueCut`.
    public var highValueCut: Double?
    /// Only for bundles without a value model (older ones): `high_value` = the top this fraction
    /// of the scored batch, with a note saying so.
    public var fallbackHighValueFraction: Double = 0.1
    /// `new` = tenure below this many days.
    public var newTenureDays: Double = 30
    /// A fitted CLV model's value per customer (e.g. `retain clv --out`), used instead of the bundle's value where present.
    public var clvValues: [String: Double]?
    /// Each customer's value and P(alive) from the bundle's value model as of the scoring date
    /// (`DailyScoring` fills it from the event log); a customer absent from it is valued 0.
    /// Nil: the revenue rate from the table's `sum_purchase_90d` column (0 without it).
    public var values: [String: ValueModel.Estimate]?
    /// Reasons per customer.
    public var reasonCount: Int = 3

    public init() {}
}

/// One customer's score before the action rules run.
public struct CustomerScore: Sendable, Equatable {
    public var customerID: String
    /// Nil outside the at-risk universe.
    public var churnProbability: Double?
    /// Empty outside the at-risk universe.
    public var riskTier: String
    public var predictedValue: Double
    public var segment: String
    public var flags: [String]
    public var reasons: [String]
    public var action: String = "none"
    /// Lifecycle state name; empty when not known.
    public var lifecycle: String = ""
    public var probabilityAlive: Double? = nil
    public var winbackRank: Int? = nil

    /// Whether the customer was scored for churn (is in the at-risk universe).
    public var inUniverse: Bool { churnProbability != nil }
}

/// Scores customers with a churn bundle (and optionally a segment bundle).
///
/// Per row of the at-risk universe: churn probability = calibration(intercept + Σ coefficient ×
/// standardised feature); risk tier `high` (≥ high cut-off), `medium` (≥ medium), else `low`;
/// `at_risk` = p ≥ high cut-off; reasons. Rows outside the universe (lapsed, churned, or a
/// table's `in_universe` = 0) get no probability, tier or reasons. Every row: predicted value
/// (``ValueModel``: from `options.values`, a CLV model's value, or for a table the revenue rate
/// `sum_purchase_90d / 90 × horizon days`); segment = nearest centre of the segment bundle in its
/// standardised space; flags `high_value` (value > 0 and ≥ the bundle's training cut-off),
/// `detractor`, `promoter`, `new`, `win_back` (lapsed or churned with value > 0, ranked by
/// P(alive) × value when the purchase model gives P(alive), else by own recency then value).
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
        /// Notes about the run (e.g. a bundle without a value model), each starting `note:`.
        public var notes: [String] = []
    }

    /// Feature drift is measured on at most this many rows (every k-th row); the score's on all rows.
    public static let driftSampleRows = 100_000

    /// Every extra column the scorer reads when present (value, flags).
    public static let extraColumns = ["sum_purchase_90d", "nps_last", "tenure_days", "in_universe"]

    /// Columns a prepared table needs (model and segment features) plus the optional extras.
    public func wantedColumns() -> [String] {
        var seen = Set<String>(), out: [String] = []
        for n in bundle.features.map(\.name) + (segments?.features.map(\.name) ?? []) + Self.extraColumns where seen.insert(n).inserted { out.append(n) }
        return out
    }

    public func score(_ m: FeatureMatrix) throws -> Result { try score(ScoringInput(m)) }

    /// Scores every row.
    ///
    /// - Throws: `ScoringError.missingFeatures` when the input lacks a model (or segment) feature.
    public func score(_ input: ScoringInput) throws -> Result {
        let n = input.rowCount, p = input.names.count
        let pass = try ScoringPass(scorer: self, names: input.names, expectedRows: n)
        // Rows in parallel blocks; each block's results are joined in order at the end.
        let block = 4096
        let ids = input.customerIDs, lifecycle = input.lifecycle, recency = input.ownRecencyDays, universe = input.universe
        input.values.withUnsafeBufferPointer { xB in
            nonisolated(unsafe) let x = xB.baseAddress
            DispatchQueue.concurrentPerform(iterations: (n + block - 1) / block) { b in
                let rows = (b * block)..<min(n, (b + 1) * block)
                pass.score(block: b, x: x! + rows.lowerBound * p, rowCount: rows.count, ids: Array(ids[rows]), samplePosition: rows.lowerBound,
                           lifecycle: lifecycle.isEmpty ? nil : Array(lifecycle[rows]),
                           ownRecencyDays: recency.isEmpty ? nil : Array(recency[rows]),
                           universe: universe.isEmpty ? nil : Array(universe[rows]))
            }
        }
        return pass.finish()
    }

    /// Scores a prepared feature table (CSV) without holding it in memory: blocks of rows are parsed
    /// and scored on several threads, and only the scores are kept.
    ///
    /// - Parameters:
    ///   - path: The table; it needs the model's (and segments') feature columns.
    ///   - idColumn: The customer id column (nil: rows are named by their 1-based row number).
    ///   - blockBytes: About how much of the file one block holds.
    /// - Throws: `ScoringError.missingFeatures` naming the absent columns, or the reader's
    ///   `IngestError` (file, line and column of the first bad cell).
    public func score(csv path: String, idColumn: String?, blockBytes: Int = 1 << 18) throws -> Result {
        let header = try FeatureTable.readHeader(path: path)
        let needed = bundle.features.map(\.name) + (segments?.features.map(\.name) ?? [])
        let missing = needed.filter { !header.contains($0) }
        guard missing.isEmpty else { throw ScoringError.missingFeatures(model: modelName, names: missing) }
        let columns = wantedColumns().filter(header.contains)
        final class Box: @unchecked Sendable { var pass: ScoringPass? }
        let box = Box()
        try FeatureTable.forEachBlock(path: path, idColumn: idColumn, columns: columns, allowMissing: true, blockBytes: blockBytes) { plan in
            box.pass = try ScoringPass(scorer: self, names: columns, expectedRows: plan.maximumRows)
        } body: { block in
            box.pass!.score(block: block.index, x: block.values.baseAddress!, rowCount: block.rowCount, ids: block.ids,
                            samplePosition: block.linesBefore, lifecycle: nil, ownRecencyDays: nil)
        }
        let result = box.pass!.finish()
        if let idColumn { try Self.checkUniqueIDs(result.batch.customerIDs, path: path, column: idColumn) }
        return result
    }

    /// Throws `ScoringError.duplicateCustomer` (with the two file lines) when an id repeats.
    static func checkUniqueIDs(_ ids: [String], path: String, column: String) throws {
        var first = [String: Int](minimumCapacity: ids.count)
        for (row, id) in ids.enumerated() {
            if let earlier = first.updateValue(row, forKey: id) {
                func line(_ r: Int) -> String { FeatureTable.physicalLine(ofDataRow: r, path: path).map(String.init) ?? "?" }
                throw ScoringError.duplicateCustomer(file: path, column: column, line: line(row), firstLine: line(earlier))
            }
        }
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
    ///
    /// RFC 4180 as `FeatureTable.readCSV` reads it: quoted ids (with commas, quotes or line breaks)
    /// come back as written; blank lines are skipped; other columns are ignored; an empty `clv`
    /// cell (no CLV model value) leaves the customer out.
    ///
    /// - Throws: `IngestError` naming the file, and the physical line and column of a bad cell.
    public static func readCLV(path: String) throws -> [String: Double] {
        let table = try FeatureTable.readCSV(path: path, idColumn: "customer_id", columns: ["clv"], allowMissing: true)
        var out = [String: Double](minimumCapacity: table.rowCount)
        for (id, v) in zip(table.ids ?? [], table.values) where !v.isNaN { out[id] = v }
        return out
    }
}
